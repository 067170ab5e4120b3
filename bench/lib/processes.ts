/**
 * Child processes of the benchmark: each service is a Node process of its own (`node --import
 * tsx …`, no npx wrapper in between, so its pid is the process whose CPU is measured). Output
 * goes to a log file per process; the last lines are kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/dev/temporal-server.js';

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  tail(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Last resort when the orchestrator exits without its cleanup (e.g. an uncaught error in it). */
process.on('exit', () => {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

export function startNode(name: string, args: readonly string[], env: Record<string, string>, logDir: string): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    // stdin stays an open pipe: the load generator exits when it closes.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  live.add(child);
  const logFile = path.join(logDir, `${name}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    log.write(chunk);
    lines.push(chunk.toString('utf8'));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stdin?.on('error', () => undefined);
  child.once('exit', () => {
    live.delete(child);
    log.end();
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    pid: child.pid,
    child,
    logFile,
    tail: () => lines.join('').slice(-3000),
    exited,
    stop: async (graceMs = 10_000) => {
      if (exited()) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** Resolves with the exit code, or rejects after `timeoutMs` (the process is then killed). */
export function waitForExit(service: Service, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (service.exited()) {
      resolve(service.child.exitCode ?? 1);
      return;
    }
    const timer = setTimeout(() => {
      service.child.kill('SIGKILL');
      reject(new Error(`${service.name} did not finish within ${timeoutMs} ms\n${service.tail()}`));
    }, timeoutMs);
    service.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

/** Polls `url` until it answers 2xx; fails early when `service` exits. */
export async function waitForHttp(url: string, timeoutMs: number, service?: Service): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service?.exited()) throw new Error(`${service.name} exited during start-up\n${service.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${service ? `\n${service.tail()}` : ''}`);
}
