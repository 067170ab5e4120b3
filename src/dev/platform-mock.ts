/**
 * platform-mock as its own process for `npm run dev`, as the real platform would be, with its
 * store kept in `DATA_DIR/platform-mock.json`: the purchases in the dev database and the
 * shipments on the dev platform survive a restart together, so reconciliation agrees.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { REPO_ROOT, stopWithParent } from './temporal-server.js';

export interface PlatformMockProcess {
  readonly url: string;
  readonly dataFile: string;
  stop(): Promise<void>;
}

async function waitForHealth(url: string, exited: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('platform-mock exited during start-up (see its output above)');
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`platform-mock at ${url} did not answer within ${timeoutMs} ms`);
}

export async function startPlatformMockProcess(config: Config, logger: Logger): Promise<PlatformMockProcess> {
  const dataFile = path.resolve(config.dataDir, 'platform-mock.json');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'platform-mock', 'src', 'main.ts')], {
    env: { ...process.env, PLATFORM_PORT: String(config.platform.port), PLATFORM_DATA_FILE: dataFile },
    stdio: ['ignore', 'inherit', 'inherit'],
    // Own process group: Ctrl-C reaches the dev entry only, which stops this after the worker.
    detached: true,
  });
  stopWithParent(child);
  const url = `http://127.0.0.1:${config.platform.port}`;
  try {
    await waitForHealth(url, () => child.exitCode !== null || child.signalCode !== null, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  logger.info({ url, dataFile }, 'platform-mock started');
  return {
    url,
    dataFile,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
