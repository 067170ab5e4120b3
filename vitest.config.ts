import { defineConfig } from 'vitest/config';

/**
 * Projects: `unit` (pure logic, no I/O beyond an in-process server), `workflows` (workflow
 * logic with stubbed activities on the time-skipping test server, one per file, see
 * test/support/time-skipping.ts) and `integration` (real Postgres, a real Temporal dev server
 * and platform-mock, started by the global setup) run in `npm test`; `fuzz` (Schemathesis, `npm run test:fuzz`) and `faults` (the fault
 * suite, `npm run test:faults`) use the same setup and run as CI steps of their own.
 * Both use the `forks` pool: a Temporal Worker inside `threads` fails (sdk-typescript#876).
 */
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'activities/**/*.test.ts', 'platform-mock/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'workflows',
          include: ['workflows/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          pool: 'forks',
          // Starting the test server and bundling the workflows take a few seconds per file;
          // a test takes milliseconds of skipped time, but local activities back off in real time.
          hookTimeout: 120_000,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts', 'test/**/*.test.ts'],
          exclude: ['node_modules/**', 'web/**', 'test/fuzz/**', 'test/faults/**'],
          pool: 'forks',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          pool: 'forks',
          // One file at a time: each kills and restarts processes and needs the CPU to recover.
          fileParallelism: false,
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
