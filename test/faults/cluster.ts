/**
 * The stack as separate processes, for the fault suite: Postgres (a fresh database cloned
 * from the run's migrated template), a Temporal dev server of its own with a SQLite file (so
 * it can be stopped and started again with its state), platform-mock, the worker and the API
 * (`src/main.ts worker|api`). The topology says how many API and worker processes run (1+1 by
 * default; 2+2 for the scale-out suite), each a process of its own, each API on a port of its
 * own; `apiTarget` hands out their URLs round robin, as a load balancer would. Each can be
 * killed and started again on the same port; `close()` stops everything and drops the
 * database, so nothing outlives the test file.
 *
 * Like the deployment's supervisor (`restart: unless-stopped` in docker-compose.yml), the
 * cluster restarts an API or worker process that exits by itself (in its slot: same index, same
 * port), and records the crash with the end of its output, so a scenario can report it.
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
  /** `api` or `worker`, with its index when the topology runs more than one (`worker 2`). */
  readonly process: string;
  readonly at: number;
  readonly exit: string;
  /** The last lines of its output: why it died. */
  readonly tail: string;
}

/** How many API and worker processes the cluster runs. */
export interface Topology {
  readonly apis: number;
  readonly workers: number;
}

export const SINGLE: Topology = { apis: 1, workers: 1 };

/** `1+1`, `2+2`: API processes + worker processes. */
export function topologyName(topology: Topology): string {
  return `${topology.apis}+${topology.workers}`;
}

export interface ClusterOptions {
  /** Extra environment for the APIs and the workers. */
  readonly env?: Record<string, string>;
  /** Default: one API and one worker. */
  readonly topology?: Topology;
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
  /** The first API's URL (for single requests that need no spreading). */
  apiUrl = '';
  /** Every API's URL, by index. */
  apiUrls: string[] = [];
  platformUrl = '';
  temporalAddress = '';
  readonly taskQueue = `faults-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly topology: Topology;
  database!: Database;
  temporal!: Client;
  dbName = '';
  private apiPorts: number[] = [];
  private temporalPort = 0;
  private readonly stateDir = mkdtempSync(path.join(os.tmpdir(), 'ledger-faults-'));
  private devServer: DevServer | null = null;
  private platform: ChildProcess | null = null;
  private connection: Connection | null = null;
  /** The live process of each slot (null while killed). */
  readonly apis: (ServiceProcess | null)[];
  readonly workers: (ServiceProcess | null)[];
  /** Every process ever started, so close() leaves none behind. */
  private readonly started: ServiceProcess[] = [];
  /** Processes the harness killed on purpose: their exit is not a crash. */
  private readonly killing = new Set<ServiceProcess>();
  private closing = false;
  private nextApi = 0;
  readonly crashes: Crash[] = [];

  constructor(private readonly options: ClusterOptions = {}) {
    this.topology = options.topology ?? SINGLE;
    if (this.topology.apis < 1 || this.topology.workers < 1) throw new Error('a topology needs an API and a worker');
    this.apis = Array.from({ length: this.topology.apis }, () => null);
    this.workers = Array.from({ length: this.topology.workers }, () => null);
  }

  /** The next API's URL, round robin over every API slot (a killed one included, as a balancer that has not noticed yet). */
  readonly apiTarget = (): string => {
    const url = this.apiUrls[this.nextApi % this.apiUrls.length] ?? this.apiUrl;
    this.nextApi += 1;
    return url;
  };

  serviceEnv(port = this.apiPorts[0] ?? 0): Record<string, string> {
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
      PORT: String(port),
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
    for (let i = 0; i < this.topology.apis; i += 1) {
      let port = await freePort();
      while (this.apiPorts.includes(port)) port = await freePort();
      this.apiPorts.push(port);
    }
    this.apiUrls = this.apiPorts.map((port) => `http://127.0.0.1:${port}`);
    this.apiUrl = this.apiUrls[0] ?? '';
    // The first worker alone bundles the workflows while the others wait: two bundling at once
    // on a small machine only slows both.
    await Promise.all([this.startWorker(0), ...this.apis.map((_, i) => this.startApi(i))]);
    for (let i = 1; i < this.topology.workers; i += 1) await this.startWorker(i);
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

  private label(kind: 'api' | 'worker', index: number): string {
    const count = kind === 'api' ? this.topology.apis : this.topology.workers;
    return count > 1 ? `${kind} ${index + 1}` : kind;
  }

  /** Restarts the slot `kind`/`index` when `proc` exits without the harness having killed it. */
  private supervise(kind: 'api' | 'worker', index: number, proc: ServiceProcess): void {
    proc.child.once('exit', (code, signal) => {
      if (this.closing || this.killing.has(proc)) return;
      this.crashes.push({
        process: this.label(kind, index),
        at: Date.now(),
        exit: signal ?? `code ${code}`,
        tail: proc.output().split('\n').slice(-40).join('\n'),
      });
      const restart = kind === 'api' ? this.startApi(index) : this.startWorker(index);
      restart.catch(() => undefined);
    });
  }

  private async apiReady(index: number, timeoutMs: number, output: () => string): Promise<void> {
    const url = this.apiUrls[index] ?? '';
    await until(
      `API ${index + 1} to be ready`,
      async () => ((await fetch(`${url}/v1/ready`, { signal: AbortSignal.timeout(2000) })).ok ? true : null),
      timeoutMs,
      output,
    );
  }

  /** Starts (or restarts) API `index` on its own port; resolves when it is ready. */
  async startApi(index = 0): Promise<void> {
    const api = startServiceProcess('api', this.serviceEnv(this.apiPorts[index]));
    this.apis[index] = api;
    this.started.push(api);
    this.supervise('api', index, api);
    await this.apiReady(index, 60_000, () => api.output());
  }

  /** Starts (or restarts) worker `index`; resolves when a workflow has run end to end. */
  async startWorker(index = 0): Promise<void> {
    const worker = startServiceProcess('worker', this.serviceEnv());
    this.workers[index] = worker;
    this.started.push(worker);
    this.supervise('worker', index, worker);
    // Ready when it has run a workflow end to end (with several workers, any of them may have
    // run it; the process must still be up, and it has bundled by then or fails its own start).
    await until(
      'the worker to run a ping workflow',
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`worker exited ${worker.child.exitCode}`);
        await this.ping('ready?');
        return true;
      },
      90_000,
      () => worker.output(),
    );
    if (this.topology.workers > 1) await this.pollerOf(worker, 90_000);
  }

  private async ping(what: string): Promise<void> {
    await this.temporal.workflow.execute(ping, {
      taskQueue: this.taskQueue,
      workflowId: `ping-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
      args: [what],
      workflowExecutionTimeout: '20s',
    });
  }

  /** Waits until `worker` polls the task queue (its pid in a poller's identity: `pid@host`). */
  private async pollerOf(worker: ServiceProcess, timeoutMs: number): Promise<void> {
    const pid = worker.child.pid;
    await until(
      `worker pid ${pid} to poll ${this.taskQueue}`,
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`worker exited ${worker.child.exitCode}`);
        const { pollers } = await this.temporal.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: this.taskQueue, kind: 1 },
          taskQueueType: 1,
        });
        return (pollers ?? []).some((p) => (p.identity ?? '').startsWith(`${pid}@`)) ? true : null;
      },
      timeoutMs,
      () => worker.output(),
    );
  }

  /**
   * Which worker runs each of `workflowIds`' current workflow task, by worker index: the
   * identity (`<pid>@<host>`, the SDK's default) of the last WorkflowTaskStarted event of its
   * history. A saga inside a local step is inside a started workflow task. Workflows whose
   * task no live worker holds are left out.
   */
  async workersRunning(workflowIds: readonly string[]): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const id of workflowIds) {
      const history = await this.temporal.workflow.getHandle(id).fetchHistory();
      const started = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskStartedEventAttributes);
      const identity = started?.workflowTaskStartedEventAttributes?.identity ?? '';
      const index = this.workers.findIndex((w) => w?.child.pid !== undefined && identity.startsWith(`${w.child.pid}@`));
      if (index >= 0) counts.set(index, (counts.get(index) ?? 0) + 1);
    }
    return counts;
  }

  /** SIGKILL worker `index`, as a crash or an OOM kill does: no shutdown hooks, sockets reset. */
  async killWorker(index = 0): Promise<void> {
    const worker = this.workers[index];
    if (!worker) return;
    this.killing.add(worker);
    await worker.kill('SIGKILL');
    this.workers[index] = null;
  }

  /** SIGKILL API `index`: the requests waiting on it die with their connections. */
  async killApi(index = 0): Promise<void> {
    const api = this.apis[index];
    if (!api) return;
    this.killing.add(api);
    await api.kill('SIGKILL');
    this.apis[index] = null;
  }

  /** Waits until every API answers and a worker runs workflows (e.g. after a supervised restart). */
  async healthy(): Promise<void> {
    for (let i = 0; i < this.apiUrls.length; i += 1) await this.apiReady(i, 60_000, () => this.output());
    await until(
      'a worker after a restart',
      async () => {
        await this.ping('healthy?');
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
    const section = (kind: 'api' | 'worker', list: (ServiceProcess | null)[]): string =>
      list.map((p, i) => `--- ${this.label(kind, i)} ---\n${p?.output() ?? '(not running)'}`).join('\n');
    return `${section('api', this.apis)}\n${section('worker', this.workers)}`;
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
