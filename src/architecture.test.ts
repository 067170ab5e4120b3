/**
 * The folder DAG and the workflow sandbox are enforced by `npm run lint`: this runs the
 * project's own ESLint configuration on snippets placed where a wrong import would live, and
 * checks that each is refused (and that the right-way imports are not). Only the import rules
 * run, without type information, so the test takes seconds; `npm run lint` runs them over the
 * whole tree, which is how "no circle anywhere" is checked.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const RULES = new Set(['import-x/no-restricted-paths', 'import-x/no-cycle', 'no-restricted-imports']);

const eslint = new ESLint({
  cwd: ROOT,
  ruleFilter: ({ ruleId }) => RULES.has(ruleId),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
});

/** The rule ids that refuse `code` if it were the file at `file` (relative to the repository). */
async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

// The first lint loads the configuration, the resolver and the parser.
beforeAll(async () => {
  await refusals('src/domain/warm-up.ts', 'export const x = 1;\n');
}, 120_000);

describe('the folder DAG', { timeout: 60_000 }, () => {
  it('src/domain imports nothing of ours: importing src/db fails lint', async () => {
    expect(
      await refusals(
        'src/domain/wrong-way.ts',
        "import { openDatabase } from '../db/client.js';\nexport const x = openDatabase;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
    expect(
      await refusals(
        'src/domain/wrong-way.ts',
        "import { ERROR_CATALOG } from './errors.js';\nexport const x = ERROR_CATALOG;\n",
      ),
    ).toEqual([]);
  });

  it('src/api reaches the database, the platform and Temporal only through src/app', async () => {
    for (const target of [
      '../db/client.js',
      '../platform/client.js',
      '../temporal/client.js',
      '../../workflows/index.js',
      '../../activities/index.js',
    ]) {
      expect(
        await refusals('src/api/wrong-way.ts', `import * as m from '${target}';\nexport const x = m;\n`),
        target,
      ).toEqual(['import-x/no-restricted-paths']);
    }
    expect(
      await refusals(
        'src/api/wrong-way.ts',
        "import { purchase } from '../app/purchases.js';\nexport const x = purchase;\n",
      ),
    ).toEqual([]);
  });

  it('nothing imports src/api; src/app does not import activities', async () => {
    expect(
      await refusals(
        'src/app/wrong-way.ts',
        "import { createApp } from '../api/app.js';\nexport const x = createApp;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
    expect(
      await refusals(
        'src/db/wrong-way.ts',
        "import { createApp } from '../api/app.js';\nexport const x = createApp;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
    expect(
      await refusals(
        'activities/wrong-way.ts',
        "import { createApp } from '../src/api/app.js';\nexport const x = createApp;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
    expect(
      await refusals(
        'src/app/wrong-way.ts',
        "import { createActivities } from '../../activities/index.js';\nexport const x = createActivities;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
  });

  it('workflows import no database, platform or Temporal client code', async () => {
    expect(
      await refusals(
        'workflows/wrong-way.ts',
        "import { getPurchase } from '../src/db/purchase-repository.js';\nexport const x = getPurchase;\n",
      ),
    ).toContain('import-x/no-restricted-paths');
  });

  it('a circle fails lint, in src and in bench', async () => {
    // src/domain/purchase.ts imports ./money.js: money importing purchase back closes a circle.
    expect(
      await refusals('src/domain/money.ts', "import { priceOf } from './purchase.js';\nexport const x = priceOf;\n"),
    ).toContain('import-x/no-cycle');
    // bench/run.ts imports ./lib/report.js: the report importing the orchestrator back is a circle.
    expect(
      await refusals(
        'bench/lib/report.ts',
        "import { renderMarkdown } from '../run.js';\nexport const x = renderMarkdown;\n",
      ),
    ).toContain('import-x/no-cycle');
  });
});

describe('the workflow sandbox', { timeout: 60_000 }, () => {
  it('refuses every Node built-in, bare and node:-prefixed, including the ones a hand-written list missed', async () => {
    for (const name of [
      'vm',
      'perf_hooks',
      'readline',
      'assert',
      'fs',
      'node:vm',
      'node:perf_hooks',
      'node:assert/strict',
    ]) {
      const found = await refusals('workflows/wrong-way.ts', `import * as m from '${name}';\nexport const x = m;\n`);
      expect(found, name).toContain('no-restricted-imports');
    }
    expect(
      await refusals(
        'workflows/wrong-way.ts',
        "import { proxyActivities } from '@temporalio/workflow';\nexport const x = proxyActivities;\n",
      ),
    ).toEqual([]);
  });
});
