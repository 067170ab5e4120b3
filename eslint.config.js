// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Every Node built-in, bare and `node:`-prefixed (`fs`, `node:fs`, `vm`, `perf_hooks`, …). */
const nodeBuiltins = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))];

/**
 * The folders of the service and which of them each may import (its own folder is always
 * allowed). Dependencies point one way:
 *   api → app → {db, platform, domain, contracts, workflows' client side};
 *   activities → {db, platform, domain, contracts}; workflows → {domain, contracts, activity types};
 *   domain and contracts → nothing of ours; src/dev (dev-only orchestration) → anything, and
 *   nothing in production imports it. src/temporal (worker and client bootstrap),
 *   src/service.ts (API server, worker, ordered stop) and src/main.ts (the entrypoints)
 *   assemble the rest. Tests and bench may import anything.
 */
const LAYERS = {
  api: 'src/api',
  app: 'src/app',
  db: 'src/db',
  platform: 'src/platform',
  temporal: 'src/temporal',
  domain: 'src/domain',
  contracts: 'src/contracts',
  dev: 'src/dev',
  main: 'src/main.ts',
  service: 'src/service.ts',
  config: 'src/config.ts',
  logger: 'src/logger.ts',
  metrics: 'src/metrics.ts',
  workflows: 'workflows',
  activities: 'activities',
  platformMock: 'platform-mock',
  web: 'web',
  test: 'test',
  bench: 'bench',
  scripts: 'scripts',
};
/** @type {Record<string, (keyof typeof LAYERS)[]>} */
const MAY_IMPORT = {
  api: ['app', 'contracts', 'domain', 'config', 'logger', 'metrics'],
  app: ['db', 'platform', 'domain', 'contracts', 'workflows', 'config', 'logger'],
  db: ['domain', 'contracts'],
  platform: ['domain', 'contracts', 'config'],
  temporal: ['workflows', 'activities', 'db', 'platform', 'domain', 'contracts', 'config', 'logger', 'metrics'],
  domain: [],
  contracts: [],
  activities: ['db', 'platform', 'domain', 'contracts', 'config', 'logger', 'metrics'],
  workflows: ['domain', 'contracts', 'activities'],
  main: [
    'api',
    'app',
    'db',
    'platform',
    'temporal',
    'domain',
    'contracts',
    'config',
    'logger',
    'metrics',
    'workflows',
    'activities',
    'service',
  ],
  // The API server, the worker and the ordered stop that src/main.ts and src/dev/main.ts share.
  service: [
    'api',
    'app',
    'db',
    'platform',
    'temporal',
    'domain',
    'contracts',
    'config',
    'logger',
    'metrics',
    'workflows',
    'activities',
  ],
  platformMock: ['scripts'],
  web: ['contracts'],
};
const dependencyZones = Object.entries(MAY_IMPORT).map(([layer, allowed]) => {
  const own = /** @type {keyof typeof LAYERS} */ (layer);
  const forbidden = Object.keys(LAYERS).filter(
    (other) => other !== own && !allowed.includes(/** @type {keyof typeof LAYERS} */ (other)),
  );
  return {
    target: `./${LAYERS[own]}`,
    from: forbidden.map((other) => `./${LAYERS[/** @type {keyof typeof LAYERS} */ (other)]}`),
    message: allowed.length
      ? `${LAYERS[own]} may import only ${allowed.map((a) => LAYERS[a]).join(', ')} of ours (the folder DAG in eslint.config.js).`
      : `${LAYERS[own]} may import nothing of ours (the folder DAG in eslint.config.js).`,
  };
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.data/**',
      '.tools/**',
      'web/dist/**',
      'drizzle/**',
      'bench/results/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'scripts/compose/standins/*/*.mjs'],
          // Plain-Node scripts (setup, builds, lint and compose helpers) outside tsconfig's files.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/explicit-function-return-type': [
        'error',
        { allowExpressions: true, allowTypedFunctionExpressions: true },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The folder DAG and no import circles, over every TypeScript file (tests and bench included
    // for circles; tests may reach into any layer for set-up, so the DAG skips them).
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      // TypeScript files are modules to follow (for circles), parsed by typescript-eslint.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.json', 'web/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['**/*.test.ts', 'test/**'],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: dependencyZones }],
    },
  },
  {
    // Tests: exported helpers keep explicit types (module boundary rule); local ones may infer.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/explicit-function-return-type': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/explicit-function-return-type': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
    },
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
  {
    // The production entrypoints and everything they import never reach dev-only orchestration
    // (src/dev/: the Temporal dev server, platform-mock as a process, PGlite, tool installs).
    files: ['src/**/*.ts', 'activities/**/*.ts'],
    ignores: ['src/dev/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/dev/*', './dev/*', '../dev/*'],
              message: 'Production code must not import src/dev/ (development-only orchestration).',
            },
            {
              group: ['@electric-sql/*', '@temporalio/testing', 'tsx', 'tsx/*', '**/platform-mock/**'],
              message: 'Development-only package: keep it in src/dev/ or tests.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node, database or HTTP.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows must be deterministic: no Node APIs.' })),
            ...nodeBuiltins.map((name) => ({
              name: `node:${name}`,
              message: 'Workflows must be deterministic: no Node APIs.',
            })),
            { name: '@temporalio/activity', message: 'Import activity types only, with `import type`.' },
            { name: '@temporalio/client', message: 'Workflows cannot use the Temporal client.' },
            { name: '@temporalio/worker', message: 'Workflows cannot use the worker.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflows must be deterministic: no Node APIs.' },
            {
              group: ['drizzle-orm', 'drizzle-orm/*', 'postgres', '@electric-sql/*', 'pino'],
              message: 'No database or logging libraries in workflows: use activities.',
            },
            { group: ['express', 'undici', 'axios', 'node-fetch'], message: 'No HTTP in workflows: use activities.' },
            {
              group: ['**/src/db/**', '**/src/api/**', '**/src/platform/**', '**/src/temporal/**', '**/src/config*'],
              message: 'Workflows may import only pure modules (src/domain, src/contracts) and activity types.',
            },
            {
              group: ['**/activities/**', '../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'Import activities with `import type` only.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'No HTTP in workflows.' },
        { name: 'process', message: 'No process access in workflows.' },
      ],
    },
  },
  {
    // Tests beside the workflows run in Node (a worker and the time-skipping test server), not in the sandbox.
    files: ['workflows/**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-globals': 'off' },
  },
);
