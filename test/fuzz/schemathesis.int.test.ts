/**
 * API fuzzing with Schemathesis against the served OpenAPI document (`/v1/openapi.json`),
 * on the real stack, with a valid admin token (every route is reachable). A fixed seed and
 * deterministic generation make the run repeatable; bounded examples keep it short.
 * Fails on any 5xx or any response that does not match the document; ends with I1–I5.
 *
 * Needs `.tools/bin/schemathesis` (`npm run setup -- --with-schemathesis`); without it the
 * test fails with that instruction. Figures go to test-results/schemathesis/.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/dev/temporal-server.js';
import { http, newKey } from '../support/http.js';
import { assertAllInvariants } from '../support/invariants.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';

const SCHEMATHESIS = path.join(REPO_ROOT, '.tools', 'bin', 'schemathesis');
const REPORT_DIR = path.join(REPO_ROOT, 'test-results', 'schemathesis');
/**
 * The fixed seed: the same cases every run, so a regression shows as a diff. (Not
 * `--generation-deterministic`: that mode ignores the seed.)
 */
export const SEED = 7331;
/**
 * A second seed that changes every run (FUZZ_SEED pins it): new cases each time; printed, so a
 * failure can be replayed with the same seed (`--seed`), or by its test case id (`st replay <id>`).
 */
export const RUN_SEED = Number(process.env.FUZZ_SEED ?? randomInt(1, 2 ** 31 - 1));
export const MAX_EXAMPLES = 20;
/** Every check Schemathesis has; its expected statuses are in schemathesis.toml at the root. */
export const CHECKS = ['all'];
export const PHASES = ['examples', 'coverage', 'fuzzing', 'stateful'];
/** APPROVAL_THRESHOLD of the fuzzed stack, and the amount of the support grants that wait for approval. */
const APPROVAL_AMOUNT = 50_000;

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      SHIPMENT_RETRY_BUDGET_MS: '2000',
      PURCHASE_SYNC_TIMEOUT_MS: '4000',
      // Maker–checker on, so that the approvals below exist for the approval routes' links.
      APPROVAL_THRESHOLD: String(APPROVAL_AMOUNT),
    },
  });
  // Credit on the seeded customers, so generated purchases of the documented examples can succeed.
  for (const customerId of ['cus_ada', 'cus_grace']) {
    const res = await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
      token: TOKENS.admin,
      idempotencyKey: newKey('fuzz-seed'),
      body: { amount: 10_000_000, currency: 'USD', reason: 'goodwill' },
    });
    expect(res.status).toBe(201);
  }
  // Pending approvals (support grants at the threshold): listApprovals' links then lead the
  // stateful phase to real approvals to read, approve (the admin token is not the requester) and reject.
  for (let i = 0; i < 3; i += 1) {
    const res = await http('POST', `${stack.apiUrl}/v1/customers/cus_ada/credit/grants`, {
      token: TOKENS.support,
      idempotencyKey: newKey('fuzz-approval'),
      body: { amount: APPROVAL_AMOUNT, currency: 'USD', reason: 'goodwill' },
    });
    expect(res.status).toBe(202);
  }
});
afterAll(async () => {
  await stack?.close();
});

interface RunResult {
  readonly code: number | null;
  readonly output: string;
  /** Why the test killed the run, if it did. */
  readonly stopped?: 'stalled' | 'capped' | undefined;
}

/**
 * A run that writes nothing (no output, no report event) for this long has stalled: the longest
 * gap between two report events seen at load 10 was 44 s.
 */
const STALL_MS = 150_000;
/** A run that is still working after this long is stopped too (not retried): one run stays under ~7 min. */
const RUN_CAP_MS = 420_000;

/** Total size of the files in `dir` (the run's reports, written event by event). */
function sizeOf(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
}

/** Runs Schemathesis; a stalled run is killed (`stalled`), so is one past RUN_CAP_MS (`capped`). */
function runSchemathesis(args: string[], reportDir: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NO_COLOR: '1',
        SCHEMATHESIS_TELEMETRY: 'false',
        PYTHONUNBUFFERED: '1',
        PYTHONFAULTHANDLER: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    const started = Date.now();
    let lastActivity = started;
    let reportSize = sizeOf(reportDir);
    let stopped: RunResult['stopped'];
    child.stdout.on('data', (c: Buffer) => {
      lastActivity = Date.now();
      chunks.push(c.toString('utf8'));
    });
    child.stderr.on('data', (c: Buffer) => {
      lastActivity = Date.now();
      chunks.push(c.toString('utf8'));
    });
    // The run is bounded by --max-examples; this only stops a hung or runaway process.
    // SIGABRT first: the fault handler prints every Python thread's stack, then the process dies
    // (exit code null: killed by a signal).
    const watch = setInterval(() => {
      const size = sizeOf(reportDir);
      if (size !== reportSize) {
        reportSize = size;
        lastActivity = Date.now();
      }
      const now = Date.now();
      if (stopped === undefined && (now - lastActivity > STALL_MS || now - started > RUN_CAP_MS)) {
        stopped = now - lastActivity > STALL_MS ? 'stalled' : 'capped';
        child.kill('SIGABRT');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }
    }, 5000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(watch);
      resolve({ code, output: chunks.join(''), stopped });
    });
  });
}

interface SeedRun {
  readonly seed: number;
  readonly operations?: string;
  readonly generated?: string;
  readonly failures: string;
  readonly seconds: number;
  readonly exitCode: number | null;
  readonly stopped: 'stalled' | 'capped' | null;
  readonly hangs: number;
  readonly output: string;
}

/** One Schemathesis run with `seed`: all checks, all phases, links followed in the stateful phase. */
async function fuzzWithSeed(seed: number): Promise<SeedRun> {
  const args = [
    'run',
    `${stack.apiUrl}/v1/openapi.json`,
    '--url',
    stack.apiUrl,
    '--header',
    `Authorization: Bearer ${TOKENS.admin}`,
    '--checks',
    CHECKS.join(','),
    '--phases',
    PHASES.join(','),
    '--seed',
    String(seed),
    '--max-examples',
    String(MAX_EXAMPLES),
    '--workers',
    '1',
    '--request-timeout',
    '15',
    '--no-color',
    '--output-sanitize',
    'true',
    '--report',
    'junit,ndjson',
    '--report-dir',
    path.join(REPORT_DIR, `seed-${seed}`),
  ];
  // Once in about ten runs on a loaded 2-core machine we saw Schemathesis stall (no request for
  // minutes): the stall is killed with its Python stacks saved, and the same deterministic run
  // is started once more. Both are counted in summary.json. A run stopped at RUN_CAP_MS while
  // still working is not retried: it fails, with its output.
  const reportDir = path.join(REPORT_DIR, `seed-${seed}`);
  let hangs = 0;
  let started = Date.now();
  let result = await runSchemathesis(args, reportDir);
  if (result.stopped === 'stalled') {
    hangs += 1;
    writeFileSync(path.join(REPORT_DIR, `hang-output-${seed}.txt`), result.output);
    started = Date.now();
    result = await runSchemathesis(args, reportDir);
  }
  writeFileSync(path.join(REPORT_DIR, `output-${seed}.txt`), result.output);
  return {
    seed,
    operations: /Tested: (\d+)/.exec(result.output)?.[1],
    generated: /(\d+) generated/.exec(result.output)?.[1],
    failures: /found (\d+) unique failures?/.exec(result.output)?.[1] ?? (result.code === 0 ? '0' : 'unknown'),
    seconds: Math.round((Date.now() - started) / 1000),
    exitCode: result.code,
    stopped: result.stopped ?? null,
    hangs,
    output: result.output,
  };
}

describe('schemathesis', () => {
  it("finds no failure of any check, with the fixed seed and with this run's seed", async () => {
    expect(existsSync(SCHEMATHESIS), 'schemathesis is not installed: run `npm run setup -- --with-schemathesis`').toBe(
      true,
    );
    mkdirSync(REPORT_DIR, { recursive: true });
    // Printed before the run, so a failure (or a hang that kills the test) can be replayed.
    console.log(
      `[fuzz] seeds: fixed ${SEED}, this run ${RUN_SEED} — replay with FUZZ_SEED=${RUN_SEED} npm run test:fuzz`,
    );
    const runs: SeedRun[] = [];
    for (const seed of [SEED, RUN_SEED]) runs.push(await fuzzWithSeed(seed));
    writeFileSync(
      path.join(REPORT_DIR, 'summary.json'),
      `${JSON.stringify(
        {
          maxExamples: MAX_EXAMPLES,
          checks: CHECKS,
          phases: PHASES,
          runs: runs.map(({ output: _output, ...run }) => run),
        },
        null,
        2,
      )}\n`,
    );
    for (const run of runs) {
      expect(
        run.exitCode,
        `seed ${run.seed}${run.stopped ? `, stopped by the test (${run.stopped})` : ''} (replay: FUZZ_SEED=${run.seed} npm run test:fuzz, or st replay <test case id>):\n${run.output.slice(-8000)}`,
      ).toBe(0);
      expect(Number(run.generated)).toBeGreaterThan(500);
      expect(run.output, `seed ${run.seed}: an operation that another one creates has no link to it`).not.toMatch(
        /No links point to/,
      );
    }
    await assertAllInvariants(stack);
  }, 900_000);
});
