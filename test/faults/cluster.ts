/**
 * The stack as separate processes, for the fault suite: Postgres (a fresh database cloned
 * from the run's migrated template), a Temporal dev server of its own with a SQLite file (so
 * it can be stopped and started again with its state), platform-mock, the worker and the API
 * (`src/main.ts worker|api`). Each can be killed and started again on the same port; `close()`
 * stops everything and drops the database, so nothing outlives the test file.
 *
 * Like the deployment's supervisor (`restart: unless-stopped` in docker-compose.yml), the
 * cluster restarts an API or worker process that exits by itself, and records the crash with
 * the end of its output, so a scenario can report it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { freePort, REPO_ROOT, startDevServer, type DevServer } from '../../src/dev/temporal-server.js';
import { ping } from '../../workflows/index.js';
import { adminUrl, cloneDatabase, databaseUrl, dropDatabase } from '../support/databases.js';
import { startServiceProcess, type ServiceProcess } from '../support/processes.js';
import { TOKENS } from '../support/stack.js';

const API_TOKENS = `web:storefront:${TOKENS.storefront},alice:support:${TOKENS.support},root:admin:${TOKENS.admin}`;

export interface Crash {
  readonly process: 'api' | 'worker';
  readonly at: number;
  readonly exit: string;
  /** The last lines of its output: why it died. */
  readonly tail: string;
}

export interface ClusterOptions {
  /** Extra environment for the API and the worker. */
  readonly env?: Record<string, string>;
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null>,
  timeoutMs: number,
  output?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await fn();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${String(last)}\n${output?.() ?? ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export class Cluster {
  apiUrl = '';
  platformUrl = '';
  temporalAddress = '';
  readonly taskQueue = `faults-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  database!: Database;
  temporal!: Client;
  dbName = '';
  private apiPort = 0;
  private temporalPort = 0;
  private readonly stateDir = mkdtempSync(path.join(os.tmpdir(), 'ledger-faults-'));
  private devServer: DevServer | null = null;
  private platform: ChildProcess | null = null;
  private connection: Connection | null = null;
  api: ServiceProcess | null = null;
  worker: ServiceProcess | null = null;
  /** Every process ever started, so close() leaves none behind. */
  private readonly started: ServiceProcess[] = [];
  /** Processes the harness killed on purpose: their exit is not a crash. */
  private readonly killing = new Set<ServiceProcess>();
  private closing = false;
  readonly crashes: Crash[] = [];

  constructor(private readonly options: ClusterOptions = {}) {}

  serviceEnv(): Record<string, string> {
    return {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl(this.dbName),
      DATABASE_POOL_MAX: '10',
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      PLATFORM_API_URL: this.platformUrl,
      PLATFORM_TIMEOUT_MS: '2000',
      API_TOKENS,
      HOST: '127.0.0.1',
      PORT: String(this.apiPort),
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '2000',
      // The workloads' support grants are large; approvals have tests of their own.
      APPROVAL_THRESHOLD: '0',
      ...this.options.env,
    };
  }

  async start(): Promise<void> {
    this.dbName = await cloneDatabase(inject('templateDatabase'));
    // The harness's own connections are named, so killing the service's backends spares them.
    this.database = await openDatabase({
      url: `${databaseUrl(this.dbName)}?application_name=fault-harness`,
      poolMax: 4,
    });
    this.temporalPort = await freePort();
    await this.startTemporal();
    await this.startPlatform();
    this.apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${this.apiPort}`;
    await Promise.all([this.startWorker(), this.startApi()]);
  }

  /** The dev server on its fixed port with its SQLite file: a restart keeps every workflow. */
  async startTemporal(): Promise<void> {
    this.devServer = await startDevServer({
      port: this.temporalPort,
      headless: true,
      dbFile: path.join(this.stateDir, 'temporal.db'),
    });
    this.temporalAddress = this.devServer.address;
    if (!this.connection) {
      this.connection = await Connection.connect({ address: this.temporalAddress });
      this.temporal = new Client({ connection: this.connection, namespace: 'default' });
    }
  }

  async stopTemporal(): Promise<void> {
    await this.devServer?.stop();
    this.devServer = null;
  }

  private async startPlatform(): Promise<void> {
    const port = await freePort();
    this.platform = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'platform-mock', 'src', 'main.ts')],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PLATFORM_PORT: String(port) },
        stdio: 'ignore',
      },
    );
    this.platformUrl = `http://127.0.0.1:${port}`;
    await until('platform-mock', async () => ((await fetch(`${this.platformUrl}/health`)).ok ? true : null), 30_000);
  }

  /** Restarts `kind` when `proc` exits without the harness having killed it. */
  private supervise(kind: 'api' | 'worker', proc: ServiceProcess): void {
    proc.child.once('exit', (code, signal) => {
      if (this.closing || this.killing.has(proc)) return;
      this.crashes.push({
        process: kind,
        at: Date.now(),
        exit: signal ?? `code ${code}`,
        tail: proc.output().split('\n').slice(-40).join('\n'),
      });
      const restart = kind === 'api' ? this.startApi() : this.startWorker();
      restart.catch(() => undefined);
    });
  }

  async startApi(): Promise<void> {
    const api = startServiceProcess('api', this.serviceEnv());
    this.api = api;
    this.started.push(api);
    this.supervise('api', api);
    await until(
      'the API to be ready',
      async () => ((await fetch(`${this.apiUrl}/v1/ready`, { signal: AbortSignal.timeout(2000) })).ok ? true : null),
      60_000,
      () => api.output(),
    );
  }

  async startWorker(): Promise<void> {
    const worker = startServiceProcess('worker', this.serviceEnv());
    this.worker = worker;
    this.started.push(worker);
    this.supervise('worker', worker);
    // Ready when it has run a workflow end to end.
    await until(
      'the worker to run a ping workflow',
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`worker exited ${worker.child.exitCode}`);
        await this.temporal.workflow.execute(ping, {
          taskQueue: this.taskQueue,
          workflowId: `ping-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
          args: ['ready?'],
          workflowExecutionTimeout: '20s',
        });
        return true;
      },
      90_000,
      () => worker.output(),
    );
  }

  /** SIGKILL, as a crash or an OOM kill does: no shutdown hooks, sockets reset. */
  async killWorker(): Promise<void> {
    if (!this.worker) return;
    this.killing.add(this.worker);
    await this.worker.kill('SIGKILL');
    this.worker = null;
  }

  async killApi(): Promise<void> {
    if (!this.api) return;
    this.killing.add(this.api);
    await this.api.kill('SIGKILL');
    this.api = null;
  }

  /** Waits until the API answers and a worker runs workflows (e.g. after a supervised restart). */
  async healthy(): Promise<void> {
    await until(
      'the API after a restart',
      async () => ((await fetch(`${this.apiUrl}/v1/ready`, { signal: AbortSignal.timeout(2000) })).ok ? true : null),
      60_000,
      () => this.output(),
    );
    await until(
      'a worker after a restart',
      async () => {
        await this.temporal.workflow.execute(ping, {
          taskQueue: this.taskQueue,
          workflowId: `ping-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
          args: ['healthy?'],
          workflowExecutionTimeout: '20s',
        });
        return true;
      },
      60_000,
      () => this.output(),
    );
  }

  /** A superuser connection of the harness (not the service's), e.g. to lock rows or kill backends. */
  admin(): postgres.Sql {
    return postgres(databaseUrl(this.dbName), {
      max: 2,
      onnotice: () => undefined,
      connection: { application_name: 'fault-harness' },
    });
  }

  /**
   * Terminates every backend of the service on this database (API and worker) at once, as a
   * failover or an admin's `pg_terminate_backend` does: those inside a transaction lose it.
   */
  async terminateServiceConnections(): Promise<{ killed: number; inTransaction: number }> {
    const sql = postgres(adminUrl(), {
      max: 1,
      onnotice: () => undefined,
      connection: { application_name: 'fault-harness' },
    });
    try {
      const rows = await sql<{ killed: boolean; in_transaction: boolean }[]>`
        select pg_terminate_backend(pid) as killed, state in ('active', 'idle in transaction', 'idle in transaction (aborted)') and xact_start is not null as in_transaction
        from pg_stat_activity
        where datname = ${this.dbName} and pid <> pg_backend_pid() and coalesce(application_name, '') <> 'fault-harness'
          and backend_type = 'client backend'`;
      return {
        killed: rows.filter((r) => r.killed).length,
        inTransaction: rows.filter((r) => r.killed && r.in_transaction).length,
      };
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  output(): string {
    return `--- api ---\n${this.api?.output() ?? ''}\n--- worker ---\n${this.worker?.output() ?? ''}`;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.started) await p.kill('SIGKILL').catch(() => undefined);
    if (this.platform && this.platform.exitCode === null) {
      const platform = this.platform;
      await new Promise<void>((resolve) => {
        platform.once('exit', () => resolve());
        platform.kill('SIGKILL');
      });
    }
    await this.connection?.close().catch(() => undefined);
    await this.stopTemporal().catch(() => undefined);
    await this.database?.close().catch(() => undefined);
    if (this.dbName) await dropDatabase(adminUrl(), this.dbName).catch(() => undefined);
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
