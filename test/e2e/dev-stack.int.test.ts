/**
 * `npm run dev` as a developer uses it: the dev entry (src/dev/main.ts) started as its own
 * process group with its own DATA_DIR and ports, a purchase made, Ctrl-C (SIGINT to the whole
 * group, as a terminal sends it): every process it started is gone, no line at error level or
 * above, the worker shut down once. Started again on the same DATA_DIR, reconciliation finds
 * nothing (platform-mock kept its shipments beside PGlite's purchases); SIGTERM stops it as cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Purchase } from '../../src/contracts/index.js';
import { REPO_ROOT, freePort } from '../../src/dev/temporal-server.js';
import { http, newKey } from '../support/http.js';
import { until } from '../support/wait.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ledger-dev-'));
const started: ChildProcess[] = [];
const seen = new Set<number>();

afterAll(() => {
  for (const pid of seen) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every live descendant of `root` (from /proc), so that none can hide in another process group. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return found;
}

/** Polls `check` until true; fails with `detail()` (the process output) at the deadline or when `check` throws. */
async function waitFor(what: string, check: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let done: boolean;
    try {
      done = check();
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${detail()}`);
    }
    if (done) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

interface DevRun {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  output(): string;
  exited: Promise<number | null>;
}

async function startDev(ports: Record<string, string>): Promise<DevRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'dev', 'main.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      // Not web/dist: nothing to build here (the build has tests of its own: the browser tests).
      WEB_DIST_DIR: path.join(dataDir, 'web'),
      ...ports,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a shell job: SIGINT to the group is Ctrl-C in a terminal.
    detached: true,
  });
  started.push(child);
  const chunks: string[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = (): string => chunks.join('');
  await waitFor(
    'the dev stack to print its banner',
    () => {
      if (child.exitCode !== null) throw new Error(`the dev entry exited ${child.exitCode}`);
      return output().includes('purchase-ledger (dev) is running');
    },
    180_000,
    () => output().slice(-3000),
  );
  for (const pid of descendants(child.pid ?? 0)) seen.add(pid);
  return { child, apiUrl: `http://127.0.0.1:${ports.PORT}`, output, exited };
}

async function expectCleanStop(run: DevRun, send: () => void): Promise<void> {
  const processes = [run.child.pid ?? 0, ...descendants(run.child.pid ?? 0)];
  // The Temporal dev server and platform-mock at least, besides the entry itself.
  expect(processes.length).toBeGreaterThanOrEqual(3);
  send();
  expect(await run.exited).toBe(0);
  await waitFor(
    'every process of the dev stack to end',
    () => !processes.some(alive),
    30_000,
    () => `still running: ${processes.filter(alive).join(', ')}`,
  );
  const lines = run.output().split('\n');
  const errors = lines.filter((line) => /"level":(5\d|6\d)/.test(line) || /stop failed|IllegalStateError/.test(line));
  expect(errors).toEqual([]);
  expect(lines.filter((line) => line.includes('"msg":"worker stopped"'))).toHaveLength(1);
}

describe('npm run dev', () => {
  it('stops cleanly on Ctrl-C and SIGTERM, and after a restart reconciliation agrees with the platform', async () => {
    const ports = {
      PORT: String(await freePort()),
      PLATFORM_PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    };
    const first = await startDev(ports);
    expect(
      (
        await http('POST', `${first.apiUrl}/v1/customers/cus_ada/credit/grants`, {
          // An admin's grant posts at once (a support grant this large waits for an approval).
          token: 'dev_admin_token',
          idempotencyKey: newKey(),
          body: { amount: 50_000, currency: 'USD', reason: 'goodwill' },
        })
      ).status,
    ).toBe(201);
    const purchase = await http<Purchase>('POST', `${first.apiUrl}/v1/purchases`, {
      token: 'dev_storefront_token',
      idempotencyKey: newKey('dev'),
      body: { customerId: 'cus_ada', productId: 'prod_keyboard' },
    });
    expect(purchase.status, JSON.stringify(purchase.body)).toBe(201);
    await expectCleanStop(first, () => process.kill(-(first.child.pid ?? 0), 'SIGINT'));

    const second = await startDev(ports);
    const run = await http<{
      status: string;
      findingCount: number;
      counts: { shipmentsChecked: number; purchases: number };
    }>('POST', `${second.apiUrl}/v1/reconciliation/runs`, { token: 'dev_admin_token', body: {} });
    expect(run.status, JSON.stringify(run.body)).toBeLessThan(300);
    const finished =
      run.body.status === 'completed'
        ? run.body
        : await until(
            'the reconciliation run to finish',
            async () => {
              const list = await http<{
                data: {
                  status: string;
                  findingCount: number;
                  counts: { shipmentsChecked: number; purchases: number };
                }[];
              }>('GET', `${second.apiUrl}/v1/reconciliation/runs`, { token: 'dev_admin_token' });
              const latest = list.body.data[0];
              return latest && latest.status !== 'running' ? latest : null;
            },
            60_000,
          );
    expect(finished).toMatchObject({ status: 'completed', findingCount: 0 });
    expect(finished.counts.shipmentsChecked).toBeGreaterThanOrEqual(1);
    await expectCleanStop(second, () => second.child.kill('SIGTERM'));
  }, 420_000);
});
