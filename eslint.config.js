// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads',
  'stream', 'util', 'events', 'url', 'dns', 'tls', 'zlib', 'process', 'timers', 'buffer',
];

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', '.data/**', '.tools/**', 'web/dist/**', 'drizzle/**', 'bench/results/**', 'coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true, allowTypedFunctionExpressions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
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
    // Workflow code runs in Temporal's deterministic sandbox: no Node, database or HTTP.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.map((name) => ({ name, message: 'Workflows must be deterministic: no Node APIs.' })),
          ...nodeBuiltins.map((name) => ({ name: `node:${name}`, message: 'Workflows must be deterministic: no Node APIs.' })),
          { name: '@temporalio/activity', message: 'Import activity types only, with `import type`.' },
          { name: '@temporalio/client', message: 'Workflows cannot use the Temporal client.' },
          { name: '@temporalio/worker', message: 'Workflows cannot use the worker.' },
        ],
        patterns: [
          { group: ['node:*'], message: 'Workflows must be deterministic: no Node APIs.' },
          { group: ['drizzle-orm', 'drizzle-orm/*', 'postgres', '@electric-sql/*', 'pino'], message: 'No database or logging libraries in workflows: use activities.' },
          { group: ['express', 'undici', 'axios', 'node-fetch'], message: 'No HTTP in workflows: use activities.' },
          { group: ['**/src/db/**', '**/src/api/**', '**/src/platform/**', '**/src/temporal/**', '**/src/config*'], message: 'Workflows may import only pure modules (src/domain, src/contracts) and activity types.' },
          { group: ['**/activities/**', '../activities', '../activities/*'], allowTypeImports: true, message: 'Import activities with `import type` only.' },
        ],
      }],
      'no-restricted-globals': ['error',
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
