import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure logic, no I/O beyond an in-process server) and `integration`
 * (real Postgres, a real Temporal dev server and platform-mock, started by the global setup).
 * Both use the `forks` pool: a Temporal Worker inside `threads` fails (sdk-typescript#876).
 */
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'activities/**/*.test.ts', 'workflows/**/*.test.ts', 'platform-mock/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts', 'test/**/*.test.ts'],
          exclude: ['node_modules/**', 'web/**'],
          pool: 'forks',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
