/**
 * Once per test run: a real Temporal dev server (headless, in memory, free port), a template
 * database with every migration applied (each test file clones it: a fresh database per
 * file in ~100 ms), and one workflow bundle shared by every worker. All stopped and dropped
 * at the end, so nothing is left running.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT, findTemporalCli, startDevServer, type DevServer } from '../src/dev/temporal-server.js';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../src/temporal/worker.js';
import {
  adminUrl,
  createDatabaseFromScratch,
  dropDatabase,
  dropDatabasesWithPrefix,
  testDatabasePrefix,
} from './support/databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    templateDatabase: string;
    workflowBundlePath: string;
  }
}

let server: DevServer | null = null;
let template: string | null = null;
let bundleDir: string | null = null;

/**
 * Dev servers of runs that died before their teardown (Ctrl-C, SIGPIPE): one line per server,
 * "serverPid ownerPid". A server is killed only when its owner is gone, so concurrent runs
 * on one machine leave each other alone.
 */
const PID_FILE = path.join(os.tmpdir(), 'purchase-ledger-test-temporal.pids');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killOrphanedServers(): void {
  if (!existsSync(PID_FILE)) return;
  const keep: string[] = [];
  for (const line of readFileSync(PID_FILE, 'utf8').split('\n')) {
    const [server, owner] = line.trim().split(' ').map(Number);
    if (!server || !owner) continue;
    if (alive(owner)) {
      keep.push(line.trim());
      continue;
    }
    try {
      // Only a temporal dev server: the pid may have been reused by something else.
      if (readFileSync(`/proc/${server}/cmdline`, 'utf8').includes('start-dev')) process.kill(server, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  writeFileSync(PID_FILE, keep.map((l) => `${l}\n`).join(''));
}

function forgetServer(pid: number): void {
  if (!existsSync(PID_FILE)) return;
  const rest = readFileSync(PID_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && Number(l.split(' ')[0]) !== pid);
  writeFileSync(PID_FILE, rest.map((l) => `${l}\n`).join(''));
}

/** As `npm run dev` does: the CLI is installed into .tools/ on first use (a no-op when present). */
function ensureTemporalCli(): void {
  if (findTemporalCli()) return;
  spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'setup.mjs')], { stdio: 'inherit' });
  if (!findTemporalCli()) {
    throw new Error(
      'no Temporal CLI (TEMPORAL_CLI_PATH, PATH, .tools/bin/temporal) and `npm run setup` could not install one (output above)',
    );
  }
}

/**
 * vitest reports a global setup that throws as "No test files found" (with the error below
 * it): a failed setup says what failed in one line and ends the run itself instead.
 */
export async function setup(project: TestProject): Promise<void> {
  try {
    await start(project);
  } catch (error) {
    await teardown().catch(() => undefined);
    process.stderr.write(
      `\nThe integration tests cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}

async function start(project: TestProject): Promise<void> {
  killOrphanedServers();
  ensureTemporalCli();
  await dropDatabasesWithPrefix(adminUrl(), testDatabasePrefix(), 60 * 60 * 1000);
  const [started, templateName, bundle] = await Promise.all([
    startDevServer({ port: 0, headless: true }),
    createDatabaseFromScratch(),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    }),
  ]);
  server = started;
  if (started.pid) writeFileSync(PID_FILE, `${started.pid} ${process.pid}\n`, { flag: 'a' });
  template = templateName;
  bundleDir = mkdtempSync(path.join(os.tmpdir(), 'ledger-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflows.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', started.address);
  project.provide('templateDatabase', templateName);
  project.provide('workflowBundlePath', bundlePath);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (server?.pid) forgetServer(server.pid);
  if (template) await dropDatabase(adminUrl(), template);
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
}
