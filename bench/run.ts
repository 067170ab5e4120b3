/**
 * `npm run bench [-- --quick] [-- --runs 3]`: the benchmark (not a test). See bench/README.md.
 *
 * Boots the stack as separate processes on free ports — a Temporal dev server (the `temporal`
 * CLI, SQLite file in a temp dir), a fresh Postgres database migrated with `src/main.ts
 * migrate`, platform-mock, the API, the worker, and the hand-written baseline — seeds data,
 * drives load from a separate load-generator process (bench/load.ts, autocannon), measures
 * each process's CPU from /proc, and writes bench/results/<date>.json and .md. Everything is
 * torn down (and the database dropped) on success, failure and Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { encodeCursor } from '../src/api/cursor.js';
import { REPO_ROOT, findTemporalCli, freePort, startDevServer, type DevServer } from '../src/dev/temporal-server.js';
import { cpuBetween, findDescendant, machine, machineBusyMs, snapshot, type CpuSnapshot } from './lib/cpu.js';
import { sampleTimelines, type TimelineSummary } from './lib/history.js';
import { checkInvariants, type InvariantReport } from './lib/invariants.js';
import { startNode, waitForExit, waitForHttp, type Service } from './lib/processes.js';
import { readGoals } from './lib/read-goals.js';
import { renderMarkdown } from './lib/report.js';
import {
  SCENARIOS,
  type BenchResult,
  type CpuGroup,
  type Goal,
  type MaxRateResult,
  type Options,
  type PhaseResult,
  type ScenarioGroup,
  type AuditFigures,
  type OverloadFigures,
  type OverloadRun,
  type StreamFigure,
  type ScenarioSummary,
  type StepResult,
  type Topology,
  type TopologyResult,
  topologyName,
} from './lib/results.js';
import {
  HOT_CUSTOMER,
  LEDGER_CUSTOMER,
  coldCustomers,
  ledgerEntryMicros,
  listingCustomer,
  seedLedger,
  seedPurchasers,
  seedPurchases,
  vacuumAnalyze,
  type SeedTiming,
} from './lib/seed.js';
import { formatMicros } from '../src/domain/ledger-chain.js';
import { median, round } from './lib/stats.js';
import type { LoadResult, LoadSpec } from './lib/types.js';

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `npm run bench -- [options]
  --quick            one short run of everything (smoke test, ~8 min on 2 cores)
  --runs N           repetitions of each fixed-rate and read scenario (default 3); figures are medians
  --only LIST        comma-separated subset of: reads,fixed,hotcold,max,sustained,overload,audit
  --max-rate R       upper bound of the throughput search (default 400/s)
  --entries N        ledger entries of the big account (default 1000000)
  --purchases N      seeded purchases for the listing (default 1000000)
  --cold N           customers of the "many cold accounts" case (default 1000)
  --hot-rate R       rate of the hot/cold comparison (default: 80% of each target's maximum rate)
  --read-rate R      rate of the read-latency scenarios (default 100/s)
  --sustainable-rate R  the saga's sustainable rate for the overload phase (default: this run's
                     throughput search, which then runs first)
  --overload-sec S   length of each overload run (default 60; --quick 15)
  --admission-in-flight N  the API's PURCHASE_ADMISSION_MAX_IN_FLIGHT (default 30; 0 = admission
                     control off)
  --admission-target-ms T  the API's PURCHASE_ADMISSION_TARGET_MS (default 400; 0 = the fixed bound)
  --apis N           API processes serving the saga (default 1), each on its own port; the load
                     generator sends purchases to them round robin
  --workers M        worker processes (default 1)
  --topology LIST    comma-separated APIs+workers, e.g. 1+1,2+2 (instead of --apis/--workers): every
                     phase runs on the first; the saga's fixed-rate phase and throughput search run
                     again on each of the others in the same stack (processes started or stopped),
                     and a table compares throughput, latency and CPU per purchase by role
  --profile DIR      write V8 CPU profiles of the API, worker and baseline (main threads) into DIR
                     (profiling slows them: not for the numbers)
  DATABASE_URL       admin connection of the local Postgres (default postgres://postgres@127.0.0.1:5432/postgres)`;

function intOption(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      'max-rate': { type: 'string' },
      entries: { type: 'string' },
      purchases: { type: 'string' },
      cold: { type: 'string' },
      'hot-rate': { type: 'string' },
      'read-rate': { type: 'string' },
      profile: { type: 'string' },
      'sustainable-rate': { type: 'string' },
      'overload-sec': { type: 'string' },
      'admission-in-flight': { type: 'string' },
      'admission-target-ms': { type: 'string' },
      apis: { type: 'string' },
      workers: { type: 'string' },
      topology: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const only = new Set<ScenarioGroup>();
  for (const part of (values.only ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(SCENARIOS as readonly string[]).includes(part))
      throw new Error(`--only: unknown scenario group "${part}" (${SCENARIOS.join(', ')})`);
    only.add(part as ScenarioGroup);
  }
  return {
    quick: values.quick ?? false,
    runs: values.quick ? 1 : intOption(values.runs, 3, 1, 9, 'runs'),
    only,
    maxRate: intOption(values['max-rate'], 400, 10, 2000, 'max-rate'),
    entries: intOption(values.entries, 1_000_000, 10, 10_000_000, 'entries'),
    purchases: intOption(values.purchases, 1_000_000, 10, 10_000_000, 'purchases'),
    cold: intOption(values.cold, 1000, 2, 10_000, 'cold'),
    hotRate: intOption(values['hot-rate'], 0, 0, 1000, 'hot-rate'),
    readRate: intOption(values['read-rate'], 100, 1, 2000, 'read-rate'),
    profileDir: values.profile ? path.resolve(values.profile) : null,
    sustainableRate: intOption(values['sustainable-rate'], 0, 0, 2000, 'sustainable-rate'),
    admissionInFlight: intOption(values['admission-in-flight'], 30, 0, 100_000, 'admission-in-flight'),
    admissionTargetMs: intOption(values['admission-target-ms'], 400, 0, 60_000, 'admission-target-ms'),
    overloadSec: intOption(values['overload-sec'], values.quick ? 15 : 60, 5, 600, 'overload-sec'),
    topologies: parseTopologies(values.topology, values.apis, values.workers),
  };
}

/** `--topology 1+1,2+2`, or one topology from `--apis N --workers M` (default 1+1). */
function parseTopologies(list: string | undefined, apis: string | undefined, workers: string | undefined): Topology[] {
  if (list === undefined)
    return [{ apis: intOption(apis, 1, 1, 8, 'apis'), workers: intOption(workers, 1, 1, 8, 'workers') }];
  if (apis !== undefined || workers !== undefined) throw new Error('--topology replaces --apis and --workers');
  const out: Topology[] = [];
  for (const part of list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(\d+)\+(\d+)$/.exec(part);
    const t = match ? { apis: Number(match[1]), workers: Number(match[2]) } : null;
    if (!t || t.apis < 1 || t.apis > 8 || t.workers < 1 || t.workers > 8)
      throw new Error(`--topology: "${part}" is not APIs+workers with 1 to 8 of each (e.g. 2+2)`);
    if (out.some((o) => topologyName(o) === part)) throw new Error(`--topology: ${part} twice`);
    out.push(t);
  }
  if (out.length === 0) throw new Error('--topology: no topology');
  return out;
}

/** Durations in seconds; --quick shortens everything and runs once. */
function profile(
  quick: boolean,
): Record<'warmup' | 'fixed' | 'step' | 'sustained' | 'readLatency' | 'readThroughput' | 'hotCold', number> {
  return quick
    ? { warmup: 3, fixed: 8, step: 5, sustained: 15, readLatency: 4, readThroughput: 3, hotCold: 6 }
    : { warmup: 5, fixed: 15, step: 10, sustained: 60, readLatency: 5, readThroughput: 4, hotCold: 8 };
}

// ---------------------------------------------------------------------------------------------
// Lifecycle: everything started is registered for teardown, which runs exactly once.

const cleanups: { name: string; fn: () => Promise<void> }[] = [];
let keepLogsOnFailure = false;
let tearingDown: Promise<void> | null = null;

function onTeardown(name: string, fn: () => Promise<void>): void {
  cleanups.push({ name, fn });
}

function teardown(): Promise<void> {
  tearingDown ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 20_000)),
        ]);
      } catch (error) {
        log(`teardown of ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return tearingDown;
}

const t0 = performance.now();
function log(line: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${s}s] ${line}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: tearing down`);
    void teardown().finally(() => process.exit(130));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The stack

interface Stack {
  readonly tmp: string;
  readonly logDir: string;
  readonly sql: postgres.Sql;
  readonly dbName: string;
  readonly temporal: DevServer;
  readonly temporalPid: number | null;
  readonly client: Client;
  readonly platform: Service;
  readonly platformUrl: string;
  /** The first API (never stopped when scaling down). */
  readonly api: Service;
  readonly apiUrl: string;
  /** Every running API process (the first included) and its URL, by index. */
  readonly apis: Service[];
  readonly apiUrls: string[];
  /** Every running worker process. */
  readonly workers: Service[];
  /** Starts one more API process on a port of its own; resolves when it is ready. */
  readonly startApi: () => Promise<{ service: Service; url: string }>;
  /** Starts one more worker process; resolves when it polls the task queue. */
  readonly startWorker: () => Promise<Service>;
  readonly baseline: Service;
  readonly baselineUrl: string;
  readonly token: string;
  /** An admin token of the API, for the audit phase (export, verification). */
  readonly adminToken: string;
  readonly baselineToken: string;
  readonly settings: Record<string, string | number>;
}

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_PREFIX = 'ledger_bench_';
const TASK_QUEUE = 'bench-purchases';
const API_POOL = 10;
const WORKER_POOL = 10;
const BASELINE_POOL = 20;
const LOG_LEVEL = 'warn';

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Databases of benchmark runs that were killed before their teardown, older than 6 hours. */
async function dropStaleDatabases(): Promise<void> {
  await withAdmin(async (sql) => {
    const rows = await sql<
      { datname: string }[]
    >`select datname from pg_database where datname like ${DB_PREFIX + '%'}`;
    for (const { datname } of rows) {
      const created = parseInt(datname.slice(DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(created) && Date.now() - created > 6 * 3600_000) {
        await sql.unsafe(`drop database if exists "${datname}" with (force)`);
        log(`dropped stale database ${datname}`);
      }
    }
  });
}

async function createCustomersOnPlatform(platformUrl: string, ids: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const res = await fetch(`${platformUrl}/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id,
          name: `Bench ${id.slice(10)}`,
          email: `${id}@bench.example`,
          address: { line1: '1 Bench Street', city: 'Testville', postalCode: '12345', country: 'US' },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status !== 201) throw new Error(`platform-mock POST /customers ${id}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

async function bootStack(options: Options, seedTimings: SeedTiming[], customers: readonly string[]): Promise<Stack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'purchase-bench-'));
  onTeardown('temp dir', () => {
    // After a failure the process logs stay for reading; the Temporal database goes either way.
    if (keepLogsOnFailure) {
      for (const file of ['temporal.db', 'temporal.db-wal', 'temporal.db-shm'])
        rmSync(path.join(tmp, file), { force: true });
      log(`logs kept in ${path.join(tmp, 'logs')}`);
    } else {
      rmSync(tmp, { recursive: true, force: true });
    }
    return Promise.resolve();
  });
  const logDir = path.join(tmp, 'logs');
  mkdirSync(logDir);
  const token = `bench_${randomBytes(12).toString('hex')}`;
  const adminToken = `bench_${randomBytes(12).toString('hex')}`;
  const baselineToken = `bench_${randomBytes(12).toString('hex')}`;

  // Temporal dev server (the CLI; state in a SQLite file of the temp dir).
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cli) throw new Error('no temporal CLI: run `npm run setup` (installs .tools/bin/temporal)');
  const temporalPort = await freePort();
  log(`starting Temporal dev server (${cli})`);
  const temporal = await startDevServer({
    cliPath: cli,
    port: temporalPort,
    headless: true,
    dbFile: path.join(tmp, 'temporal.db'),
  });
  onTeardown('temporal dev server', () => temporal.stop());
  const temporalPid = findDescendant(process.pid, ['start-dev', String(temporalPort)]);
  const connection = await Connection.connect({ address: temporal.address });
  onTeardown('temporal client', () => connection.close());
  const client = new Client({ connection, namespace: temporal.namespace });

  // platform-mock.
  const platformPort = await freePort();
  const platform = startNode(
    'platform-mock',
    [path.join('platform-mock', 'src', 'main.ts')],
    { PLATFORM_PORT: String(platformPort) },
    logDir,
  );
  onTeardown('platform-mock', () => platform.stop());
  const platformUrl = `http://127.0.0.1:${platformPort}`;
  await waitForHttp(`${platformUrl}/health`, 60_000, platform);

  // A fresh database, migrated by the service's own entrypoint.
  const dbName = `${DB_PREFIX}${Date.now().toString(36)}_${process.pid}`;
  await withAdmin((sql) => sql.unsafe(`create database "${dbName}"`));
  onTeardown(`database ${dbName}`, () =>
    withAdmin(async (sql) => {
      await sql.unsafe(`drop database if exists "${dbName}" with (force)`);
    }),
  );
  const dbUrl = databaseUrl(dbName);
  const migrate = startNode(
    'migrate',
    [path.join('src', 'main.ts'), 'migrate'],
    { DATABASE_URL: dbUrl, LOG_LEVEL },
    logDir,
  );
  const migrateStarted = performance.now();
  if ((await waitForExit(migrate, 120_000)) !== 0) throw new Error(`migrate failed\n${migrate.tail()}`);
  seedTimings.push({
    step: 'migrate (tsx src/main.ts migrate)',
    rows: 0,
    ms: Math.round(performance.now() - migrateStarted),
  });
  const sql = postgres(dbUrl, { max: 4, onnotice: () => undefined, connect_timeout: 10 });
  onTeardown('bench database connection', () => sql.end({ timeout: 5 }));

  // Seed: purchasers (+ the same customers on the platform), the big ledger, the big listing.
  log(`seeding: ${customers.length} purchasers, ${options.entries} ledger entries, ${options.purchases} purchases`);
  const customersStarted = performance.now();
  await createCustomersOnPlatform(platformUrl, customers);
  seedTimings.push({
    step: 'customers on platform-mock (HTTP)',
    rows: customers.length,
    ms: Math.round(performance.now() - customersStarted),
  });
  seedTimings.push(await seedPurchasers(sql, customers));
  const seedStarted = performance.now();
  const [ledger, listing] = await Promise.all([
    seedLedger(sql, options.entries),
    seedPurchases(sql, options.purchases),
  ]);
  seedTimings.push(ledger, listing, {
    step: 'ledger + purchases (concurrently, wall time)',
    rows: options.entries + options.purchases,
    ms: Math.round(performance.now() - seedStarted),
  });
  seedTimings.push(await vacuumAnalyze(sql));
  for (const s of seedTimings) log(`  ${s.step}: ${s.rows} rows in ${s.ms} ms`);

  // Service processes, configured as in production.
  const common: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    PLATFORM_API_URL: platformUrl,
    PLATFORM_TIMEOUT_MS: '3000',
    LOG_LEVEL,
    PURCHASE_SYNC_TIMEOUT_MS: '10000',
    SHIPMENT_RETRY_BUDGET_MS: '60000',
    // No reconciliation schedule competing with the measured load.
    RECONCILE_INTERVAL_MS: '0',
  };
  const prof = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  // Worker options to try (`WORKER_MAX_CACHED_WORKFLOWS=… npm run bench`) pass through to the worker.
  const workerTuning = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith('WORKER_MAX_') && e[1] !== undefined,
    ),
  );
  const apiEnv = (port: number): Record<string, string> => ({
    ...common,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_POOL_MAX: String(API_POOL),
    API_TOKENS: `bench:storefront:${token},benchadmin:admin:${adminToken}`,
    PURCHASE_ADMISSION_MAX_IN_FLIGHT: String(options.admissionInFlight),
    PURCHASE_ADMISSION_TARGET_MS: String(options.admissionInFlight > 0 ? options.admissionTargetMs : 0),
  });
  let apiSeq = 0;
  let workerSeq = 0;
  /** API processes: `api`, then `api-2`, `api-3`… (names of their log files too). */
  const spawnApi = async (): Promise<{ service: Service; url: string }> => {
    apiSeq += 1;
    const port = await freePort();
    const service = startNode(
      apiSeq === 1 ? 'api' : `api-${apiSeq}`,
      [...prof, path.join('src', 'main.ts'), 'api'],
      apiEnv(port),
      logDir,
    );
    onTeardown(service.name, () => service.stop());
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/v1/ready`, 120_000, service);
    return { service, url };
  };
  const spawnWorker = (): Service => {
    workerSeq += 1;
    const service = startNode(
      workerSeq === 1 ? 'worker' : `worker-${workerSeq}`,
      [...prof, path.join('src', 'main.ts'), 'worker'],
      {
        ...common,
        DATABASE_POOL_MAX: String(WORKER_POOL),
        API_TOKENS: `bench:storefront:${token}`,
        ...workerTuning,
      },
      logDir,
    );
    onTeardown(service.name, () => service.stop(30_000));
    return service;
  };
  const worker = spawnWorker();
  const baselinePort = await freePort();
  const baseline = startNode(
    'baseline',
    [...prof, path.join('bench', 'baseline', 'server.ts')],
    {
      ...common,
      PORT: String(baselinePort),
      DATABASE_POOL_MAX: String(BASELINE_POOL),
      API_TOKENS: `baseline:storefront:${baselineToken}`,
    },
    logDir,
  );
  onTeardown('baseline', () => baseline.stop());
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  const { service: api, url: apiUrl } = await spawnApi();
  await waitForHttp(`${baselineUrl}/health`, 120_000, baseline);
  // The worker is ready when it has run a workflow end to end (it bundles workflows/ first).
  log('waiting for the worker (bundles workflows/ at start)');
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (worker.exited()) throw new Error(`worker exited during start-up\n${worker.tail()}`);
    try {
      await client.workflow.execute('ping', {
        taskQueue: TASK_QUEUE,
        workflowId: `bench-ping-${Date.now()}`,
        args: ['bench'],
        workflowExecutionTimeout: '20s',
      });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`worker not ready: ${String(error)}\n${worker.tail()}`);
      await sleep(500);
    }
  }
  /** A further worker is ready when it polls the task queue (identity `<pid>@<host>`, the SDK's default). */
  const startWorker = async (): Promise<Service> => {
    const service = spawnWorker();
    const until = Date.now() + 180_000;
    for (;;) {
      if (service.exited()) throw new Error(`${service.name} exited during start-up\n${service.tail()}`);
      const { pollers } = await client.workflowService.describeTaskQueue({
        namespace: temporal.namespace,
        taskQueue: { name: TASK_QUEUE, kind: 1 },
        taskQueueType: 1,
      });
      if ((pollers ?? []).some((p) => (p.identity ?? '').startsWith(`${service.pid}@`))) return service;
      if (Date.now() > until) throw new Error(`${service.name} does not poll ${TASK_QUEUE}\n${service.tail()}`);
      await sleep(500);
    }
  };
  log(
    `stack up: api ${apiUrl}, baseline ${baselineUrl}, platform ${platformUrl}, temporal ${temporal.address}, db ${dbName}; logs in ${logDir}`,
  );
  const settings: Record<string, string | number> = {
    'API DATABASE_POOL_MAX': API_POOL,
    'worker DATABASE_POOL_MAX': WORKER_POOL,
    'baseline DATABASE_POOL_MAX': BASELINE_POOL,
    LOG_LEVEL,
    NODE_ENV: 'production',
    'worker options':
      Object.keys(workerTuning).length > 0 ? JSON.stringify(workerTuning) : 'SDK defaults (no WORKER_MAX_* set)',
    'Temporal dev server': `${cli} start-dev --headless, SQLite file (WAL, synchronous=normal)`,
    PLATFORM_LATENCY_MS: 0,
    'API PURCHASE_ADMISSION_MAX_IN_FLIGHT': options.admissionInFlight,
    'API PURCHASE_ADMISSION_TARGET_MS': options.admissionTargetMs,
  };
  return {
    tmp,
    logDir,
    sql,
    dbName,
    temporal,
    temporalPid,
    client,
    platform,
    platformUrl,
    api,
    apiUrl,
    apis: [api],
    apiUrls: [apiUrl],
    workers: [worker],
    startApi: spawnApi,
    startWorker,
    baseline,
    baselineUrl,
    token,
    adminToken,
    baselineToken,
    settings,
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

let loadSeq = 0;
let quietWaitMs = 10_000;

async function pgPids(sql: postgres.Sql): Promise<number[]> {
  // Our database's backends (autovacuum workers included). The server's background processes
  // (WAL writer, checkpointer) are shared with every other database on it and left out.
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  return rows.map((r) => r.pid);
}

interface GroupSnapshot {
  readonly groups: ReadonlyMap<CpuGroup, CpuSnapshot>;
  /** Each API and worker process on its own (`api 1`, `worker 2`, …), for the balance between them. */
  readonly processes: ReadonlyMap<string, CpuSnapshot>;
  readonly machineMs: number;
  readonly selfMs: number;
  readonly at: number;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function snapshotGroups(stack: Stack): Promise<GroupSnapshot> {
  const groups = new Map<CpuGroup, CpuSnapshot>();
  // A role's CPU is the sum over its processes.
  groups.set('api', snapshot(stack.apis.map((s) => s.pid)));
  groups.set('worker', snapshot(stack.workers.map((s) => s.pid)));
  const processes = new Map<string, CpuSnapshot>();
  stack.apis.forEach((s, i) => processes.set(`api ${i + 1}`, snapshot([s.pid])));
  stack.workers.forEach((s, i) => processes.set(`worker ${i + 1}`, snapshot([s.pid])));
  groups.set('baseline', snapshot([stack.baseline.pid]));
  groups.set('platform', snapshot([stack.platform.pid]));
  if (stack.temporalPid) groups.set('temporal', snapshot([stack.temporalPid]));
  groups.set('postgres', snapshot(await pgPids(stack.sql)));
  return { groups, processes, machineMs: machineBusyMs(), selfMs: selfCpuMs(), at: performance.now() };
}

/** CPU of processes that are not part of the benchmark, in cores, between two snapshots. */
function foreignCores(before: GroupSnapshot, after: GroupSnapshot, extraMs: number): number {
  const ours =
    Object.values(cpuDelta(before, after)).reduce((a, b) => a + b, 0) + (after.selfMs - before.selfMs) + extraMs;
  return Math.max(0, (after.machineMs - before.machineMs - ours) / (after.at - before.at));
}

/**
 * The machine is shared: before a phase, wait (at most `maxWaitMs`) for a second in which
 * other processes used less than a quarter of a core. Their CPU during the phase is recorded.
 */
async function awaitQuiet(stack: Stack, maxWaitMs: number): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  let waited = false;
  for (;;) {
    const before = await snapshotGroups(stack);
    await sleep(1000);
    const foreign = foreignCores(before, await snapshotGroups(stack), 0);
    if (foreign < 0.25) break;
    if (Date.now() > deadline) {
      log(`  other processes still use ${foreign.toFixed(2)} cores; measuring anyway`);
      return;
    }
    waited = true;
  }
  if (waited) log('  waited for other processes to quieten');
}

function cpuDelta(before: GroupSnapshot, after: GroupSnapshot): Partial<Record<CpuGroup, number>> {
  const out: Partial<Record<CpuGroup, number>> = {};
  for (const [group, snap] of after.groups) out[group] = cpuBetween(before.groups.get(group) ?? new Map(), snap);
  return out;
}

async function runLoad(stack: Stack, spec: Omit<LoadSpec, 'outFile'>): Promise<LoadResult> {
  const n = ++loadSeq;
  const outFile = path.join(stack.tmp, `load-${n}.out.json`);
  const specFile = path.join(stack.tmp, `load-${n}.spec.json`);
  writeFileSync(specFile, JSON.stringify({ ...spec, outFile } satisfies LoadSpec));
  const load = startNode(`load-${n}-${spec.name}`, [path.join('bench', 'load.ts'), specFile], {}, stack.logDir);
  onTeardown(`load generator ${n}`, () => load.stop(2000));
  const code = await waitForExit(load, (spec.durationSec + spec.timeoutSec + 60) * 1000);
  if (code !== 0) throw new Error(`load generator ${spec.name} failed (${code})\n${load.tail()}`);
  return JSON.parse(readFileSync(outFile, 'utf8')) as LoadResult;
}

/** Waits until no purchase attempt is pending (sagas cut off by the end of a load phase finish). */
async function drainSagas(stack: Stack, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await stack.sql<
      { n: string }[]
    >`select count(*) as n from purchase_attempts where status = 'pending'`;
    if (Number(row?.n ?? 0) === 0) return Math.round(performance.now() - started);
    await sleep(250);
  }
  log(`  drain: attempts still pending after ${timeoutMs} ms`);
  return Math.round(performance.now() - started);
}

async function phase(stack: Stack, spec: Omit<LoadSpec, 'outFile'>, drain: boolean): Promise<PhaseResult> {
  for (const s of [...stack.apis, ...stack.workers, stack.baseline, stack.platform]) {
    if (s.exited()) throw new Error(`${s.name} has exited\n${s.tail()}`);
  }
  await awaitQuiet(stack, quietWaitMs);
  const before = await snapshotGroups(stack);
  const started = performance.now();
  const load = await runLoad(stack, spec);
  const drainMs = drain ? await drainSagas(stack, 120_000) : 0;
  const after = await snapshotGroups(stack);
  const cpuMs = { ...cpuDelta(before, after), load: load.cpuMs };
  const processCpuMs: Record<string, number> = {};
  for (const [name, snap] of after.processes)
    processCpuMs[name] = cpuBetween(before.processes.get(name) ?? new Map(), snap);
  const foreign = foreignCores(before, after, load.cpuMs);
  const l = load.latencyMs;
  const bad = Object.entries(load.badStatus)
    .map(([s, n]) => `${n}×${s}`)
    .join(' ');
  log(
    `  ${spec.name}${spec.rate ? ` @${spec.rate}/s` : ` c=${spec.connections}`}: ${load.ok} ok (${load.okPerSec.toFixed(1)}/s), ` +
      `p50 ${ms2(l.p50)} p95 ${ms2(l.p95)} p99 ${ms2(l.p99)} ms` +
      `${bad ? `, bad ${bad}` : ''}${load.errors + load.timeouts ? `, ${load.errors} errors ${load.timeouts} timeouts` : ''}` +
      `${load.incomplete ? `, ${load.incomplete} unanswered (cut off)` : ''}${drainMs > 500 ? `, drain ${drainMs} ms` : ''}` +
      `${foreign >= 0.1 ? ` [other processes: ${foreign.toFixed(2)} cores]` : ''}`,
  );
  return {
    name: spec.name,
    load,
    cpuMs,
    wallSec: (performance.now() - started) / 1000,
    drainMs,
    foreignCores: foreign,
    processCpuMs,
    topology: topologyName({ apis: stack.apis.length, workers: stack.workers.length }),
  };
}

function errorsOf(r: LoadResult): number {
  return r.errors + r.timeouts + r.incomplete + Object.values(r.badStatus).reduce((a, b) => a + b, 0);
}

const ms2 = (v: number | null): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '–');

function summarizeRuns(
  key: string,
  label: string,
  target: ScenarioSummary['target'],
  runs: PhaseResult[],
  dbMs?: number,
): ScenarioSummary {
  const groups = new Set(runs.flatMap((r) => Object.keys(r.cpuMs))) as Set<CpuGroup>;
  const cpuPerRequestMs: Partial<Record<CpuGroup, number>> = {};
  for (const g of groups)
    cpuPerRequestMs[g] = median(runs.map((r) => (r.load.ok > 0 ? (r.cpuMs[g] ?? 0) / r.load.ok : Number.NaN)));
  const first = runs[0]?.load;
  return {
    key,
    label,
    target,
    rate: first?.targetRate ?? null,
    connections: first && first.targetRate === null ? first.connections : null,
    runs,
    latencyMs: {
      p50: median(runs.map((r) => r.load.latencyMs.p50)),
      p95: median(runs.map((r) => r.load.latencyMs.p95)),
      p99: median(runs.map((r) => r.load.latencyMs.p99)),
      max: Math.max(...runs.map((r) => r.load.latencyMs.max)),
      mean: median(runs.map((r) => r.load.latencyMs.mean)),
    },
    okPerSec: median(runs.map((r) => r.load.okPerSec)),
    errors: runs.reduce((acc, r) => acc + errorsOf(r.load), 0),
    cpuPerRequestMs,
    ...(dbMs !== undefined ? { dbMs } : {}),
    foreignCores: median(runs.map((r) => r.foreignCores)),
  };
}

/** Median of a few EXPLAIN ANALYZE runs: planning + execution time of the query in Postgres. */
async function dbTime(sql: postgres.Sql, query: string, params: (string | number)[]): Promise<number> {
  const times: number[] = [];
  const until = Date.now() + 5000;
  for (let i = 0; i < 7 && (i < 1 || Date.now() < until); i++) {
    const rows = await sql.unsafe(`explain (analyze, format json) ${query}`, params);
    const plan = (rows[0] as { 'QUERY PLAN': { 'Planning Time': number; 'Execution Time': number }[] } | undefined)?.[
      'QUERY PLAN'
    ][0];
    if (plan) times.push(plan['Planning Time'] + plan['Execution Time']);
  }
  return median(times);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Ctx {
  readonly stack: Stack;
  readonly options: Options;
  readonly durations: ReturnType<typeof profile>;
  readonly cold: readonly string[];
  readonly runStamp: string;
}

function purchaseSpec(
  ctx: Ctx,
  name: string,
  target: 'saga' | 'baseline',
  customers: readonly string[],
  rate: number,
  durationSec: number,
): Omit<LoadSpec, 'outFile'> {
  const { stack } = ctx;
  return {
    name,
    baseUrl: target === 'saga' ? stack.apiUrl : stack.baselineUrl,
    // Several API processes: round robin, request by request.
    ...(target === 'saga' && stack.apiUrls.length > 1 ? { baseUrls: [...stack.apiUrls] } : {}),
    method: 'POST',
    paths: ['/v1/purchases'],
    bodies: customers.map((customerId) => ({ customerId, productId: 'prod_cable', quantity: 1 })),
    headers: { authorization: `Bearer ${target === 'saga' ? stack.token : stack.baselineToken}` },
    idempotencyPrefix: `${ctx.runStamp}-${name}-${loadSeq + 1}`,
    okStatus: [201],
    durationSec,
    rate,
    timeoutSec: 20,
  };
}

function readSpec(
  ctx: Ctx,
  name: string,
  paths: string[],
  mode: { rate: number } | { connections: number },
  durationSec: number,
): Omit<LoadSpec, 'outFile'> {
  return {
    name,
    baseUrl: ctx.stack.apiUrl,
    method: 'GET',
    paths,
    headers: { authorization: `Bearer ${ctx.stack.token}` },
    okStatus: [200],
    durationSec,
    ...mode,
    timeoutSec: 10,
  };
}

interface ReadCase {
  readonly key: string;
  readonly label: string;
  readonly path: string;
  readonly query: string;
  readonly params: (string | number)[];
  readonly throughput: boolean;
}

/**
 * The listing as it was before the fix: ordered by `created_at DESC, id DESC` (NULLS FIRST,
 * which the (…, created_at DESC NULLS LAST, id DESC NULLS LAST) indexes cannot give, so
 * Postgres sorted every matching row) and with the keyset as an OR (a filter, not an index
 * condition). Measured beside the API's query to show what the fix bought.
 */
function beforeFix(query: string): string | null {
  if (!query.includes('order by created_at desc nulls last, id desc nulls last')) return null;
  return query
    .replace('order by created_at desc nulls last, id desc nulls last', 'order by created_at desc, id desc')
    .replace(
      '(created_at, id) < ($1::timestamptz, $2)',
      '(created_at < $1::timestamptz or (created_at = $1::timestamptz and id < $2))',
    );
}

function readCases(): ReadCase[] {
  const c = LEDGER_CUSTOMER;
  const customer = listingCustomer(42);
  const cols = 'select * from';
  return [
    {
      key: 'health',
      label: 'GET /v1/health (no auth, no database: the HTTP floor)',
      path: '/v1/health',
      query: '',
      params: [],
      throughput: true,
    },
    {
      key: 'balance',
      label: 'balance read (account with 1M entries)',
      path: `/v1/customers/${c}/credit`,
      query: `${cols} credit_accounts where customer_id = $1 limit 1`,
      params: [c],
      throughput: true,
    },
    {
      key: 'ledger-first',
      label: 'ledger page, newest 20 (1M entries)',
      path: `/v1/customers/${c}/credit/entries?limit=20`,
      query: `${cols} ledger_entries where customer_id = $1 order by account_version desc limit 21`,
      params: [c],
      throughput: true,
    },
    {
      key: 'ledger-mid',
      label: 'ledger page at entry 500,000 (cursor)',
      path: `/v1/customers/${c}/credit/entries?limit=20&cursor=${encodeCursor({ v: 500_000 })}`,
      query: `${cols} ledger_entries where customer_id = $1 and account_version < $2 order by account_version desc limit 21`,
      params: [c, 500_000],
      throughput: false,
    },
    {
      key: 'list-all',
      label: 'purchases, no filter, newest 20 (1M)',
      path: '/v1/purchases?limit=20',
      query: `${cols} purchases order by created_at desc nulls last, id desc nulls last limit 21`,
      params: [],
      throughput: false,
    },
    {
      key: 'list-deep',
      label: 'purchases, no filter, page 560,000 rows deep (cursor)',
      path: `/v1/purchases?limit=20&cursor=${encodeCursor({ t: '2025-06-15T00:00:00.000Z', id: 'pur_~' })}`,
      query: `${cols} purchases where (created_at, id) < ($1::timestamptz, $2) order by created_at desc nulls last, id desc nulls last limit 21`,
      params: ['2025-06-15T00:00:00.000Z', 'pur_~'],
      throughput: false,
    },
    {
      key: 'list-customer',
      label: 'purchases of one customer (1M)',
      path: `/v1/purchases?limit=20&customerId=${customer}`,
      query: `${cols} purchases where customer_id = $1 order by created_at desc nulls last, id desc nulls last limit 21`,
      params: [customer],
      throughput: true,
    },
    {
      key: 'list-product-status',
      label: 'purchases by product + status=refunded (1M)',
      path: '/v1/purchases?limit=20&productId=prod_mouse&status=refunded',
      query: `${cols} purchases where product_id = $1 and status = $2 order by created_at desc nulls last, id desc nulls last limit 21`,
      params: ['prod_mouse', 'refunded'],
      throughput: false,
    },
    {
      key: 'list-customer-range',
      label: 'purchases of one customer in one week (1M)',
      path: `/v1/purchases?limit=20&customerId=${customer}&createdFrom=2025-06-01T00:00:00Z&createdTo=2025-06-08T00:00:00Z`,
      query: `${cols} purchases where customer_id = $1 and created_at >= $2 and created_at < $3 order by created_at desc nulls last, id desc nulls last limit 21`,
      params: [customer, '2025-06-01T00:00:00Z', '2025-06-08T00:00:00Z'],
      throughput: false,
    },
  ];
}

async function readScenarios(ctx: Ctx): Promise<ScenarioSummary[]> {
  const out: ScenarioSummary[] = [];
  const { durations, options } = ctx;
  log(`reads: latency at ${options.readRate}/s, throughput with 8 connections`);
  for (const rc of readCases()) {
    // Warm the path (JIT, buffers) before measuring; one connection, so a slow query cannot pile up.
    const warm = await runLoad(ctx.stack, readSpec(ctx, `warm-${rc.key}`, [rc.path], { connections: 1 }, 2));
    // A read that takes longer than the interval between requests would only measure the queue
    // it builds (and keep Postgres busy for the next scenarios): such reads run one at a time.
    const slow = !(warm.latencyMs.p50 < 1000 / options.readRate / 2) || warm.ok < 2;
    if (slow)
      log(
        `  ${rc.key}: ${ms2(warm.latencyMs.p50)} ms per request, too slow for ${options.readRate}/s: measured one at a time`,
      );
    const mode = slow ? { connections: 1 } : { rate: options.readRate };
    const latencyRuns: PhaseResult[] = [];
    for (let i = 0; i < options.runs; i++)
      latencyRuns.push(await phase(ctx.stack, readSpec(ctx, rc.key, [rc.path], mode, durations.readLatency), false));
    const dbMs = rc.query ? await dbTime(ctx.stack.sql, rc.query, rc.params) : undefined;
    const oldQuery = beforeFix(rc.query);
    const dbMsBeforeFix = oldQuery ? await dbTime(ctx.stack.sql, oldQuery, rc.params) : undefined;
    out.push({
      ...summarizeRuns(rc.key, rc.label, 'api', latencyRuns, dbMs),
      ...(dbMsBeforeFix !== undefined ? { dbMsBeforeFix } : {}),
    });
    if (rc.throughput && !slow) {
      const tpRuns: PhaseResult[] = [];
      for (let i = 0; i < options.runs; i++)
        tpRuns.push(
          await phase(
            ctx.stack,
            readSpec(ctx, `${rc.key}-max`, [rc.path], { connections: 8 }, durations.readThroughput),
            false,
          ),
        );
      out.push(summarizeRuns(`${rc.key}-max`, `${rc.label}, closed loop c=8`, 'api', tpRuns));
    }
  }
  return out;
}

async function fixedRateScenarios(ctx: Ctx): Promise<ScenarioSummary[]> {
  const { durations, options, cold } = ctx;
  log('warm-up: saga and baseline at 10/s');
  await phase(ctx.stack, purchaseSpec(ctx, 'warmup-saga', 'saga', cold, 10, durations.warmup), true);
  await phase(ctx.stack, purchaseSpec(ctx, 'warmup-baseline', 'baseline', cold, 10, durations.warmup), false);
  log(`purchases at 10/s, ${options.runs} runs, saga and baseline alternating`);
  const saga: PhaseResult[] = [];
  const baseline: PhaseResult[] = [];
  for (let i = 0; i < options.runs; i++) {
    saga.push(await phase(ctx.stack, purchaseSpec(ctx, 'saga-10', 'saga', cold, 10, durations.fixed), true));
    baseline.push(
      await phase(ctx.stack, purchaseSpec(ctx, 'baseline-10', 'baseline', cold, 10, durations.fixed), false),
    );
  }
  return [
    summarizeRuns('saga-10', 'purchase, saga, 10/s', 'saga', saga),
    summarizeRuns('baseline-10', 'purchase, baseline, 10/s', 'baseline', baseline),
  ];
}

/** One hot account vs many cold ones, each target at its own rate (near its maximum, where contention shows). */
async function hotColdScenarios(
  ctx: Ctx,
  rates: Readonly<Record<'saga' | 'baseline', number>>,
): Promise<ScenarioSummary[]> {
  const { durations, options, cold } = ctx;
  log(`hot vs cold accounts: one customer vs ${cold.length}; saga at ${rates.saga}/s, baseline at ${rates.baseline}/s`);
  const runs: Record<string, PhaseResult[]> = {
    'saga-hot': [],
    'saga-cold': [],
    'baseline-hot': [],
    'baseline-cold': [],
  };
  for (let i = 0; i < options.runs; i++) {
    runs['saga-hot']?.push(
      await phase(
        ctx.stack,
        purchaseSpec(ctx, 'saga-hot', 'saga', [HOT_CUSTOMER], rates.saga, durations.hotCold),
        true,
      ),
    );
    runs['saga-cold']?.push(
      await phase(ctx.stack, purchaseSpec(ctx, 'saga-cold', 'saga', cold, rates.saga, durations.hotCold), true),
    );
    runs['baseline-hot']?.push(
      await phase(
        ctx.stack,
        purchaseSpec(ctx, 'baseline-hot', 'baseline', [HOT_CUSTOMER], rates.baseline, durations.hotCold),
        false,
      ),
    );
    runs['baseline-cold']?.push(
      await phase(
        ctx.stack,
        purchaseSpec(ctx, 'baseline-cold', 'baseline', cold, rates.baseline, durations.hotCold),
        false,
      ),
    );
  }
  return [
    summarizeRuns('saga-hot', `purchase, saga, ${rates.saga}/s, one hot account`, 'saga', runs['saga-hot'] ?? []),
    summarizeRuns(
      'saga-cold',
      `purchase, saga, ${rates.saga}/s, ${cold.length} cold accounts`,
      'saga',
      runs['saga-cold'] ?? [],
    ),
    summarizeRuns(
      'baseline-hot',
      `purchase, baseline, ${rates.baseline}/s, one hot account`,
      'baseline',
      runs['baseline-hot'] ?? [],
    ),
    summarizeRuns(
      'baseline-cold',
      `purchase, baseline, ${rates.baseline}/s, ${cold.length} cold accounts`,
      'baseline',
      runs['baseline-cold'] ?? [],
    ),
  ];
}

/**
 * The highest rate with p99 < 1 s, no error, and every request answered in time: double from
 * 4/s until a step fails, then bisect (at most four times) between the last pass and the first fail.
 */
async function maxRate(ctx: Ctx, target: 'saga' | 'baseline'): Promise<MaxRateResult> {
  const { durations, options, cold } = ctx;
  const steps: StepResult[] = [];
  const tryRate = async (rate: number): Promise<boolean> => {
    const result = await phase(
      ctx.stack,
      purchaseSpec(ctx, `${target}-step`, target, cold, rate, durations.step),
      target === 'saga',
    );
    const l = result.load;
    const reasons: string[] = [];
    if (errorsOf(l) > 0) reasons.push(`${errorsOf(l)} errors`);
    if (!(l.latencyMs.p99 < 1000)) reasons.push(`p99 ${Math.round(l.latencyMs.p99)} ms`);
    if (l.ok < rate * durations.step || l.elapsedSec > durations.step + 2)
      reasons.push(`fell behind: ${l.ok} of ${rate * durations.step} answered in ${l.elapsedSec.toFixed(1)} s`);
    steps.push({ rate, passed: reasons.length === 0, why: reasons.join(', ') || 'ok', phase: result });
    return reasons.length === 0;
  };
  log(`max rate, ${target}: doubling from 4/s, then bisecting (p99 < 1 s, no errors)`);
  let lo = 0;
  let hi: number | null = null;
  for (let rate = 4; rate <= options.maxRate; rate *= 2) {
    if (await tryRate(rate)) lo = rate;
    else {
      hi = rate;
      break;
    }
  }
  if (hi === null && lo < options.maxRate && lo > 0) {
    if (await tryRate(options.maxRate)) lo = options.maxRate;
    else hi = options.maxRate;
  }
  for (let i = 0; i < 4 && hi !== null && hi - lo > Math.max(1, lo * 0.1); i++) {
    const mid = Math.round((lo + hi) / 2);
    if (await tryRate(mid)) lo = mid;
    else hi = mid;
  }
  log(`  max sustained rate, ${target}: ${lo}/s`);
  return { target, maxRate: lo, steps };
}

// ---------------------------------------------------------------------------------------------
// Topologies: the same stack with more (or fewer) API and worker processes

/**
 * Starts API and worker processes up to `topology`, or stops the surplus (the last started
 * first, SIGTERM: a worker finishes its tasks; the phases drain their sagas before).
 */
async function scaleTo(stack: Stack, topology: Topology): Promise<void> {
  const started: string[] = [];
  while (stack.apis.length < topology.apis) {
    const { service, url } = await stack.startApi();
    stack.apis.push(service);
    stack.apiUrls.push(url);
    started.push(service.name);
  }
  while (stack.workers.length < topology.workers) {
    const service = await stack.startWorker();
    stack.workers.push(service);
    started.push(service.name);
  }
  const stopped: string[] = [];
  while (stack.apis.length > topology.apis) {
    const service = stack.apis.pop() as Service;
    stack.apiUrls.pop();
    await service.stop();
    stopped.push(service.name);
  }
  while (stack.workers.length > topology.workers) {
    const service = stack.workers.pop() as Service;
    await service.stop(30_000);
    stopped.push(service.name);
  }
  log(
    `topology ${topologyName(topology)}: APIs ${stack.apiUrls.join(', ')}; workers ${stack.workers.map((w) => w.name).join(', ')}` +
      `${started.length ? `; started ${started.join(', ')}` : ''}${stopped.length ? `; stopped ${stopped.join(', ')}` : ''}`,
  );
}

/** The saga at 10/s on the current topology (a warm-up, then the runs). */
async function sagaFixed(ctx: Ctx): Promise<ScenarioSummary> {
  const { durations, options, cold } = ctx;
  const name = topologyName({ apis: ctx.stack.apis.length, workers: ctx.stack.workers.length });
  log(`purchases at 10/s on ${name}, ${options.runs} runs (saga only)`);
  await phase(ctx.stack, purchaseSpec(ctx, 'warmup-saga', 'saga', cold, 10, durations.warmup), true);
  const runs: PhaseResult[] = [];
  for (let i = 0; i < options.runs; i++)
    runs.push(await phase(ctx.stack, purchaseSpec(ctx, 'saga-10', 'saga', cold, 10, durations.fixed), true));
  return summarizeRuns('saga-10', `purchase, saga, 10/s, ${name}`, 'saga', runs);
}

function perPurchase(cpuMs: Readonly<Record<string, number | undefined>>, ok: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpuMs)) if (v !== undefined && ok > 0) out[k] = v / ok;
  return out;
}

/** One topology's row: the CPU figures from the highest passing search step (else the fixed rate). */
function topologyResult(topology: Topology, fixed: ScenarioSummary | null, max: MaxRateResult | null): TopologyResult {
  const top = max?.steps.filter((s) => s.passed).sort((a, b) => b.rate - a.rate)[0];
  const fixedRun = fixed?.runs[fixed.runs.length - 1];
  const source = top?.phase ?? fixedRun ?? null;
  const phases = [...(fixed?.runs ?? []), ...(max?.steps.map((s) => s.phase) ?? [])];
  return {
    topology,
    fixed,
    max,
    cpuPerPurchaseMs: source ? perPurchase(source.cpuMs, source.load.ok) : {},
    cpuFrom: top ? `search step at ${top.rate}/s` : fixedRun ? 'fixed rate 10/s' : 'none',
    cpuPerPurchaseAtFixedMs: fixed?.cpuPerRequestMs ?? {},
    perProcessMs: source?.processCpuMs ? perPurchase(source.processCpuMs, source.load.ok) : {},
    foreignCores: median(phases.map((p) => p.foreignCores)),
  };
}

function logTopology(t: TopologyResult): void {
  const c = t.cpuPerPurchaseMs;
  const total = (['api', 'worker', 'temporal', 'postgres'] as const).reduce((a, g) => a + (c[g] ?? 0), 0);
  log(
    `  ${topologyName(t.topology)}: max ${t.max ? `${t.max.maxRate}/s` : '–'}; 10/s p50 ${ms2(t.fixed?.latencyMs.p50 ?? null)} p99 ${ms2(t.fixed?.latencyMs.p99 ?? null)} ms; ` +
      `CPU ms per purchase (${t.cpuFrom}): api ${ms2(c.api ?? null)}, worker ${ms2(c.worker ?? null)}, temporal ${ms2(c.temporal ?? null)}, postgres ${ms2(c.postgres ?? null)}, total ${ms2(total)}; ` +
      `per process ${Object.entries(t.perProcessMs)
        .map(([k, v]) => `${k} ${ms2(v)}`)
        .join(', ')}; other load ${t.foreignCores.toFixed(2)} cores`,
  );
}

// ---------------------------------------------------------------------------------------------
// Overload: 2 × the sustainable rate, with admission control

/** The APIs' `ledger_purchase_admission_refusals_total`, summed over its labels and over the API processes. */
async function refusalsOfApi(stack: Stack): Promise<number> {
  let sum = 0;
  for (const url of stack.apiUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('ledger_purchase_admission_refusals_total')) sum += Number(line.split(' ').pop() ?? 0);
    }
  }
  return sum;
}

/** What one read of each admission signal costs (200 sequential reads each, from this process). */
async function signalCosts(stack: Stack): Promise<OverloadFigures['signalCostMs']> {
  const time = async (fn: () => Promise<unknown>): Promise<{ p50: number; p99: number }> => {
    for (let i = 0; i < 20; i++) await fn();
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await fn();
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    return { p50: samples[100] ?? 0, p99: samples[197] ?? 0 };
  };
  const since = new Date(Date.now() - 70_000).toISOString();
  // The query of src/db/attempt-repository.ts countPendingAttempts, and the DescribeTaskQueue of src/app/admission.ts.
  const pendingCount = await time(
    () =>
      stack.sql`select count(*)::int as n from (select 1 from purchase_attempts where status = 'pending' and created_at > ${since}::timestamptz limit 51) t`,
  );
  const describeTaskQueue = await time(() =>
    stack.client.workflowService.describeTaskQueue({
      namespace: stack.temporal.namespace,
      taskQueue: { name: TASK_QUEUE, kind: 1 },
      taskQueueType: 1,
      reportStats: true,
    }),
  );
  return { pendingCount, describeTaskQueue };
}

async function overloadScenario(ctx: Ctx, sustainableRate: number, sustainableFrom: string): Promise<OverloadFigures> {
  const { stack, options } = ctx;
  const rate = sustainableRate * 2;
  const signalCostMs = await signalCosts(stack);
  log(
    `overload: admission signals cost p50/p99 ${ms2(signalCostMs.pendingCount.p50)}/${ms2(signalCostMs.pendingCount.p99)} ms (pending count in Postgres), ${ms2(signalCostMs.describeTaskQueue.p50)}/${ms2(signalCostMs.describeTaskQueue.p99)} ms (DescribeTaskQueue with stats)`,
  );
  log(
    `overload: ${rate}/s (2 × ${sustainableRate}/s, ${sustainableFrom}) for ${options.overloadSec} s, ${options.runs} run(s), PURCHASE_ADMISSION_MAX_IN_FLIGHT=${options.admissionInFlight}, PURCHASE_ADMISSION_TARGET_MS=${options.admissionTargetMs}`,
  );
  const runs: OverloadRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const refusedBefore = await refusalsOfApi(stack);
    const spec = {
      ...purchaseSpec(ctx, 'saga-overload', 'saga', ctx.cold, rate, options.overloadSec),
      okStatus: [201, 202],
    };
    const result = await phase(stack, spec, true);
    const l = result.load;
    const by = l.byStatus ?? {};
    const completed201 = by['201'] ?? 0;
    const accepted202 = by['202'] ?? 0;
    const refused503 = by['503'] ?? 0;
    const run: OverloadRun = {
      offered: l.sent,
      completed201,
      accepted202,
      refused503,
      refusedByMetric: (await refusalsOfApi(stack)) - refusedBefore,
      other: l.completed - completed201 - accepted202 - refused503 + l.errors + l.timeouts + l.incomplete,
      acceptedLatencyMs: l.latencyMs,
      goodputPerSec: completed201 / options.overloadSec,
      foreignCores: result.foreignCores,
      drainMs: result.drainMs,
    };
    log(
      `  run ${i + 1}: ${run.offered} offered, ${completed201} × 201, ${accepted202} × 202, ${refused503} × 503 (metric ${run.refusedByMetric}), ${run.other} other; accepted p50 ${ms2(l.latencyMs.p50)} p99 ${ms2(l.latencyMs.p99)} ms; goodput ${run.goodputPerSec.toFixed(1)}/s = ${((100 * run.goodputPerSec) / sustainableRate).toFixed(0)} % of ${sustainableRate}/s`,
    );
    runs.push(run);
  }
  const goodputPerSec = median(runs.map((r) => r.goodputPerSec));
  return {
    sustainableRate,
    sustainableFrom,
    rate,
    durationSec: options.overloadSec,
    admissionInFlight: options.admissionInFlight,
    admissionTargetMs: options.admissionTargetMs,
    runs,
    acceptedP99Ms: median(runs.map((r) => r.acceptedLatencyMs.p99)),
    goodputPerSec,
    goodputRatio: goodputPerSec / sustainableRate,
    refused503: median(runs.map((r) => r.refused503)),
    signalCostMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

function byKeyOf(scenarios: readonly ScenarioSummary[], key: string): ScenarioSummary | undefined {
  return scenarios.find((s) => s.key === key);
}

/** The API process's memory, in MiB, from /proc/<pid>/status (`VmRSS` or `VmHWM`). */
function memMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

/**
 * One streamed request against the API, read to the end: wall time, lines, bytes, and the API
 * process's memory while it streams (VmHWM reset through /proc/<pid>/clear_refs first, so the
 * peak is this request's).
 */
async function streamFigure(ctx: Ctx, label: string, method: 'GET' | 'POST', path: string): Promise<StreamFigure> {
  const { stack } = ctx;
  await awaitQuiet(stack, quietWaitMs);
  const pid = stack.api.pid;
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = memMiB(pid, 'VmRSS');
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(round(memMiB(pid, 'VmRSS'))), 250);
  const cpuBefore = await snapshotGroups(stack);
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  try {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    if (!res.ok || !res.body) throw new Error(`${label}: ${res.status} ${await res.text()}`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      for (const b of chunk) if (b === 10) rows += 1;
    }
  } finally {
    clearInterval(sampler);
  }
  const wallMs = performance.now() - started;
  const cpuAfter = await snapshotGroups(stack);
  const figure: StreamFigure = {
    label,
    wallMs,
    rows,
    bytes,
    rssMiB: { before, peak: memMiB(pid, 'VmHWM'), after: memMiB(pid, 'VmRSS'), samples },
    foreignCores: foreignCores(cpuBefore, cpuAfter, 0),
  };
  log(
    `  ${label}: ${rows} lines, ${(bytes / 1e6).toFixed(1)} MB in ${(wallMs / 1000).toFixed(1)} s; API RSS ${before.toFixed(0)} → peak ${figure.rssMiB.peak.toFixed(0)} → ${figure.rssMiB.after.toFixed(0)} MiB${figure.foreignCores >= 0.1 ? ` [other processes: ${figure.foreignCores.toFixed(2)} cores]` : ''}`,
  );
  return figure;
}

/**
 * The audit phase: the balance at an instant on the 1M-entry account (50 instants spread over
 * its history) beside today's balance read, at the read rate; then the finance export of the
 * whole ledger (NDJSON) and the verification of every chain, each with the API's memory.
 */
async function auditScenarios(ctx: Ctx): Promise<{ scenarios: ScenarioSummary[]; figures: AuditFigures }> {
  const { options, durations, stack } = ctx;
  const c = LEDGER_CUSTOMER;
  log(`audit: balance at an instant vs today's balance (${options.entries} entries), export and verification`);
  const instants = Array.from({ length: 50 }, (_, k) =>
    formatMicros(ledgerEntryMicros(Math.floor(((k + 0.5) / 50) * options.entries)) + 250_000n),
  );
  const cases = [
    {
      key: 'audit-balance',
      label: `balance read now (${options.entries} entries)`,
      paths: [`/v1/customers/${c}/credit`],
    },
    {
      key: 'audit-asof',
      label: `balance at an instant, 50 instants over the history (${options.entries} entries)`,
      paths: instants.map((t) => `/v1/customers/${c}/credit?asOf=${encodeURIComponent(t)}`),
    },
  ];
  const scenarios: ScenarioSummary[] = [];
  for (const rc of cases) {
    await runLoad(stack, readSpec(ctx, `warm-${rc.key}`, rc.paths, { connections: 1 }, 2));
    const runs: PhaseResult[] = [];
    for (let i = 0; i < options.runs; i++)
      runs.push(
        await phase(stack, readSpec(ctx, rc.key, rc.paths, { rate: options.readRate }, durations.readLatency), false),
      );
    scenarios.push(summarizeRuns(rc.key, rc.label, 'api', runs));
  }
  // The balance-at-an-instant statement of src/db/audit-repository.ts (balanceAsOf), for EXPLAIN ANALYZE.
  const asOfQuery = `
    with account as (select currency from credit_accounts where customer_id = $1),
    last_entry as (select balance_after, created_at from ledger_entries where customer_id = $1 and created_at <= $2::timestamptz
                   order by created_at desc, account_version desc limit 1),
    last_hold as (select coalesce(open_since, '-infinity'::timestamptz) as open_since from credit_holds
                  where customer_id = $1 and created_at <= $2::timestamptz order by created_at desc limit 1)
    select a.currency, coalesce((select balance_after from last_entry), 0) as balance,
           coalesce((select sum(h.amount) from credit_holds h where h.customer_id = $1 and h.created_at >= (select open_since from last_hold)
                     and h.created_at <= $2::timestamptz and (h.resolved_at is null or h.resolved_at > $2::timestamptz)), 0) as held
    from account a`;
  const dbMs = {
    balance: await dbTime(stack.sql, 'select * from credit_accounts where customer_id = $1 limit 1', [c]),
    asOf: await dbTime(stack.sql, asOfQuery, [c, instants[25] ?? '2025-01-02T00:00:00Z']),
  };
  log(`  Postgres time: balance ${ms2(dbMs.balance)} ms, balance at an instant ${ms2(dbMs.asOf)} ms`);
  const streams = [
    await streamFigure(
      ctx,
      `export of every entry (${options.entries} + purchasers), NDJSON`,
      'GET',
      '/v1/ledger/entries/export',
    ),
    await streamFigure(ctx, 'export, CSV', 'GET', '/v1/ledger/entries/export?format=csv'),
    await streamFigure(ctx, 'verification of every chain (POST /v1/ledger/verify)', 'POST', '/v1/ledger/verify'),
  ];
  return { scenarios, figures: { dbMs, streams } };
}

/** CPU ms per successful request of one phase, every process of the service (the load generator left out). */
function serviceCpuPerRequest(phase: PhaseResult): number {
  const total = Object.entries(phase.cpuMs)
    .filter(([group]) => group !== 'load')
    .reduce((sum, [, ms]) => sum + (ms ?? 0), 0);
  return total / Math.max(1, phase.load.ok);
}

/** The median of `values`, and the values themselves when there is more than one. */
function withSpread(values: readonly number[], digits = 2): { median: number; text: string } {
  const mid = median(values);
  const runs = values.length > 1 ? ` (runs: ${values.map((v) => v.toFixed(digits)).join(', ')})` : '';
  return { median: mid, text: `${mid.toFixed(digits)}${runs}` };
}

/**
 * The goals of the second performance round, each a ratio taken within one run of the stack
 * (run i of the saga against run i of the baseline, both at 10/s), reported as the median of
 * the runs with each run's value.
 */
function roundTwoGoals(
  saga10: ScenarioSummary | undefined,
  base10: ScenarioSummary | undefined,
  sagaMax: MaxRateResult | undefined,
  baseMax: MaxRateResult | undefined,
  sagaTimeline: TimelineSummary | null,
): Goal[] {
  const goals: Goal[] = [];
  if (saga10 && base10) {
    const pairs = saga10.runs.map((run, i) => [run, base10.runs[i]] as const).filter(([, b]) => b !== undefined);
    const p50 = withSpread(pairs.map(([a, b]) => a.load.latencyMs.p50 / (b?.load.latencyMs.p50 ?? NaN)));
    goals.push({
      goal: 'saga p50 / baseline p50 at 10/s ≤ 2×',
      measured: `${p50.text}× (p50 ${round(saga10.latencyMs.p50)} vs ${round(base10.latencyMs.p50)} ms, medians)`,
      met: p50.median <= 2,
    });
    const perSaga = pairs.map(([a]) => serviceCpuPerRequest(a));
    const perBase = pairs.map(([, b]) => (b ? serviceCpuPerRequest(b) : NaN));
    const cpu = withSpread(perSaga.map((a, i) => a / (perBase[i] ?? NaN)));
    goals.push({
      goal: 'CPU per saga purchase / CPU per baseline purchase (every service process) ≤ 2×',
      measured: `${cpu.text}× (${withSpread(perSaga, 1).median.toFixed(1)} vs ${withSpread(perBase, 1).median.toFixed(1)} ms)`,
      met: cpu.median <= 2,
    });
  }
  if (sagaMax && baseMax && baseMax.maxRate > 0) {
    const ratio = sagaMax.maxRate / baseMax.maxRate;
    goals.push({
      goal: 'saga max rate / baseline max rate (p99 < 1 s, no errors) ≥ 0.35× — one search each',
      measured: `${ratio.toFixed(2)}× (${sagaMax.maxRate}/s vs ${baseMax.maxRate}/s)`,
      met: ratio >= 0.35,
    });
  }
  if (sagaTimeline)
    goals.push({
      goal: "time in the saga's workflow tasks at 10/s (median of sampled histories) ≤ 30 ms",
      measured: `${round(sagaTimeline.wftRunMs)} ms over ${sagaTimeline.workflowTasks} workflow task(s), ${sagaTimeline.samples} histories`,
      met: sagaTimeline.wftRunMs <= 30,
    });
  return goals;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const durations = profile(options.quick);
  quietWaitMs = options.quick ? 5000 : 10_000;
  const startedAt = new Date();
  // Each further topology adds its fixed-rate phase and throughput search.
  const hardLimitMs = ((options.quick ? 20 : 45) + (options.topologies.length - 1) * (options.quick ? 5 : 12)) * 60_000;
  const hardLimit = setTimeout(() => {
    log(`hard time limit of ${hardLimitMs / 60_000} min reached: tearing down`);
    void teardown().finally(() => process.exit(1));
  }, hardLimitMs);
  hardLimit.unref();

  const m = machine();
  const pgVersion = await withAdmin(
    async (sql) => (await sql<{ v: string }[]>`select current_setting('server_version') as v`)[0]?.v ?? '?',
  );
  const pgSettings = await withAdmin(
    async (sql) =>
      await sql<{ name: string; setting: string; unit: string | null }[]>`
    select name, setting, unit from pg_settings where name in ('shared_buffers', 'synchronous_commit', 'max_connections', 'work_mem')`,
  );
  const temporalCli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  const temporalVersion = temporalCli
    ? spawnSync(temporalCli, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout.trim()
    : 'none';
  const machineInfo: Record<string, string | number> = {
    cores: os.availableParallelism(),
    cpu: m.cpuModel,
    memoryGiB: m.memoryGiB,
    node: process.version,
    postgres: pgVersion,
    postgresSettings: pgSettings.map((s) => `${s.name}=${s.setting}${s.unit ?? ''}`).join(', '),
    temporal: temporalVersion,
    loadAvgAtStart: m.loadAvg,
  };
  log(
    `machine: ${String(machineInfo.cores)} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${process.version}, Postgres ${pgVersion}, ${temporalVersion}, load average ${m.loadAvg}`,
  );
  log(
    `mode: ${options.quick ? 'quick (1 short run)' : `${options.runs} runs per figure`}; scenarios: ${[...options.only].join(', ')}; topologies (APIs+workers): ${options.topologies.map(topologyName).join(', ')}`,
  );

  await dropStaleDatabases();
  const cold = coldCustomers(options.cold);
  const seed: SeedTiming[] = [];
  const stack = await bootStack(options, seed, [HOT_CUSTOMER, ...cold]);
  const ctx: Ctx = { stack, options, durations, cold, runStamp: Date.now().toString(36) };
  const [primary = { apis: 1, workers: 1 }, ...others] = options.topologies;
  if (primary.apis !== 1 || primary.workers !== 1) await scaleTo(stack, primary);

  // Idle CPU: what the stack burns doing nothing (pollers, timers), per second.
  const idleBefore = await snapshotGroups(stack);
  await sleep(5000);
  const idleAfter = await snapshotGroups(stack);
  const idleCpuPerSecMs: Partial<Record<CpuGroup, number>> = {};
  for (const [g, v] of Object.entries(cpuDelta(idleBefore, idleAfter))) idleCpuPerSecMs[g as CpuGroup] = v / 5;

  const scenarios: ScenarioSummary[] = [];
  const maxRates: MaxRateResult[] = [];
  const timelines: Record<string, TimelineSummary | null> = {};
  let sustained: ScenarioSummary | null = null;
  const notes: string[] = [];
  /** Completed sagas of the phases whose idempotency keys start with `${runStamp}-${name}-`. */
  const sagaIds = async (name: string): Promise<string[]> =>
    (
      await stack.sql<{ workflow_id: string }[]>`
    select a.workflow_id from purchase_attempts a join idempotency_keys k on k.resource_id = a.id
    where k.scope = 'bench' and k.key like ${`${ctx.runStamp}-${name}-%`} and a.status = 'completed'
    order by random() limit 30`
    ).map((r) => r.workflow_id);
  const withHttp = (t: TimelineSummary | null, s: ScenarioSummary | null | undefined): TimelineSummary | null =>
    t && s ? { ...t, httpP50Ms: s.latencyMs.p50 } : t;

  if (options.only.has('reads')) scenarios.push(...(await readScenarios(ctx)));
  let audit: AuditFigures | undefined;
  if (options.only.has('audit')) {
    const result = await auditScenarios(ctx);
    scenarios.push(...result.scenarios);
    audit = result.figures;
  }
  if (options.only.has('fixed')) {
    scenarios.push(...(await fixedRateScenarios(ctx)));
    timelines['saga at 10/s'] = withHttp(
      await sampleTimelines(stack.client, await sagaIds('saga-10')),
      scenarios.find((s) => s.key === 'saga-10'),
    );
  }
  if (options.only.has('max')) {
    maxRates.push(await maxRate(ctx, 'saga'));
    maxRates.push(await maxRate(ctx, 'baseline'));
  }
  if (options.only.has('hotcold')) {
    const rateFor = (target: 'saga' | 'baseline'): number => {
      if (options.hotRate > 0) return options.hotRate;
      const found = maxRates.find((r) => r.target === target)?.maxRate;
      return found === undefined ? 5 : Math.max(2, Math.floor(found * 0.8));
    };
    scenarios.push(...(await hotColdScenarios(ctx, { saga: rateFor('saga'), baseline: rateFor('baseline') })));
  }
  if (options.only.has('sustained')) {
    const sagaMax = maxRates.find((r) => r.target === 'saga')?.maxRate;
    const rate = sagaMax === undefined || sagaMax >= 100 ? 100 : Math.max(1, sagaMax);
    if (rate !== 100)
      notes.push(
        `The sustained run used ${rate}/s, the highest rate that passed the search, because the saga did not reach 100/s.`,
      );
    log(`sustained: saga at ${rate}/s for ${durations.sustained} s`);
    const result = await phase(
      stack,
      purchaseSpec(ctx, 'saga-sustained', 'saga', cold, rate, durations.sustained),
      true,
    );
    sustained = summarizeRuns(
      `saga-sustained-${rate}`,
      `purchase, saga, ${rate}/s for ${durations.sustained} s`,
      'saga',
      [result],
    );
    timelines[`saga at ${rate}/s (sustained)`] = withHttp(
      await sampleTimelines(stack.client, await sagaIds('saga-sustained')),
      sustained,
    );
  }

  let overload: OverloadFigures | undefined;
  if (options.only.has('overload')) {
    let sustainable = options.sustainableRate;
    let from = '--sustainable-rate';
    if (sustainable === 0) {
      let found = maxRates.find((r) => r.target === 'saga');
      if (!found) {
        found = await maxRate(ctx, 'saga');
        maxRates.push(found);
      }
      sustainable = Math.max(1, found.maxRate);
      from = "this run's throughput search";
    }
    overload = await overloadScenario(ctx, sustainable, from);
  }

  // The saga on each topology: the first one's phases as they ran above (a fixed-rate phase is
  // added when `fixed` was left out), then each other topology in the same stack.
  const topologies: TopologyResult[] = [];
  const compare =
    (others.length > 0 || primary.apis !== 1 || primary.workers !== 1) &&
    (options.only.has('fixed') || options.only.has('max'));
  if (compare) {
    log(
      `topologies: ${options.topologies.map(topologyName).join(', ')} (saga fixed rate and throughput search on each)`,
    );
    if (others.length > 0) await scaleTo(stack, primary);
    topologies.push(
      topologyResult(
        primary,
        byKeyOf(scenarios, 'saga-10') ?? (await sagaFixed(ctx)),
        maxRates.find((r) => r.target === 'saga') ?? null,
      ),
    );
    for (const topology of others) {
      await scaleTo(stack, topology);
      const fixed = await sagaFixed(ctx);
      const max = options.only.has('max') ? await maxRate(ctx, 'saga') : null;
      topologies.push(topologyResult(topology, fixed, max));
    }
    log('topologies, saga:');
    for (const t of topologies) logTopology(t);
  }

  let invariants: InvariantReport | null = null;
  if (
    options.only.has('overload') ||
    options.only.has('fixed') ||
    options.only.has('hotcold') ||
    options.only.has('max') ||
    options.only.has('sustained')
  ) {
    await drainSagas(stack, 120_000);
    log('checking the money invariants for the purchasing customers');
    invariants = await checkInvariants(stack.sql, [HOT_CUSTOMER, ...cold], stack.platformUrl);
    log(
      `  ${invariants.purchases} purchases, ${invariants.failedAttempts} failed attempts, ${invariants.shipments} shipments: ${invariants.violations.length === 0 ? 'all invariants hold' : `${invariants.violations.length} violations`}`,
    );
    for (const v of invariants.violations.slice(0, 10)) log(`    ${v}`);
  }

  const byKey = (key: string): ScenarioSummary | undefined => scenarios.find((s) => s.key === key);
  const saga10 = byKey('saga-10');
  const base10 = byKey('baseline-10');
  const sagaMax = maxRates.find((r) => r.target === 'saga');
  const baseMax = maxRates.find((r) => r.target === 'baseline');
  const ratios = {
    p50SagaOverBaseline: saga10 && base10 ? saga10.latencyMs.p50 / base10.latencyMs.p50 : null,
    throughputSagaOverBaseline: sagaMax && baseMax && baseMax.maxRate > 0 ? sagaMax.maxRate / baseMax.maxRate : null,
  };
  const goals: Goal[] = [...roundTwoGoals(saga10, base10, sagaMax, baseMax, timelines['saga at 10/s'] ?? null)];
  const fmt = (v: number): string => String(round(v));
  if (ratios.p50SagaOverBaseline !== null && saga10 && base10) {
    goals.push({
      goal: 'saga p50 ≤ 3 × baseline p50 at 10/s',
      measured: `${fmt(saga10.latencyMs.p50)} / ${fmt(base10.latencyMs.p50)} ms = ${ratios.p50SagaOverBaseline.toFixed(2)}×`,
      met: ratios.p50SagaOverBaseline <= 3,
    });
  }
  if (saga10)
    goals.push({
      goal: 'saga p99 < 250 ms at 10/s',
      measured: `${fmt(saga10.latencyMs.p99)} ms`,
      met: saga10.latencyMs.p99 < 250,
    });
  if (sustained) {
    const run = sustained.runs[0];
    const ok = run ? run.load.ok : 0;
    const rate = sustained.rate ?? 0;
    const met =
      rate >= 100 &&
      sustained.errors === 0 &&
      sustained.latencyMs.p99 < 1000 &&
      ok >= rate * durations.sustained &&
      (invariants?.violations.length ?? 1) === 0 &&
      !options.quick;
    goals.push({
      goal: '≥ 100 saga purchases/s for 60 s, no errors, invariants intact',
      measured: `${rate}/s offered for ${durations.sustained} s: ${ok} ok (${fmt(sustained.okPerSec)}/s), ${sustained.errors} errors, p99 ${fmt(sustained.latencyMs.p99)} ms, invariants ${invariants && invariants.violations.length === 0 ? 'intact' : 'violated'}${options.quick ? ' (quick run: not 60 s)' : ''}`,
      met,
    });
  }
  if (overload) {
    const spread = (values: number[]): string =>
      values.length > 1 ? ` (runs: ${values.map((v) => fmt(v)).join(', ')})` : '';
    goals.push({
      goal: `2 × the sustainable rate for ${overload.durationSec} s: accepted purchases' p99 < 1 s`,
      measured: `${fmt(overload.acceptedP99Ms)} ms at ${overload.rate}/s${spread(overload.runs.map((r) => r.acceptedLatencyMs.p99))}; ${fmt(overload.refused503)} × 503 overloaded`,
      met: overload.acceptedP99Ms < 1000 && (invariants?.violations.length ?? 1) === 0,
    });
    goals.push({
      goal: `2 × the sustainable rate for ${overload.durationSec} s: goodput ≥ 90 % of the sustainable rate`,
      measured: `${fmt(overload.goodputPerSec)}/s of ${overload.sustainableRate}/s = ${(overload.goodputRatio * 100).toFixed(0)} %${spread(overload.runs.map((r) => r.goodputPerSec))}`,
      met: overload.goodputRatio >= 0.9,
    });
  }
  const balance = byKey('balance');
  if (balance)
    goals.push({
      goal: 'balance read p99 < 2 ms (1M entries)',
      measured: `${fmt(balance.latencyMs.p99)} ms at ${balance.rate}/s`,
      met: balance.latencyMs.p99 < 2,
    });
  goals.push(...readGoals(byKey));
  const auditBalance = byKey('audit-balance');
  const auditAsOf = byKey('audit-asof');
  if (auditBalance && auditAsOf) {
    goals.push({
      goal: 'balance at an instant within the same order of time as the balance read (p50 ≤ 3×, 1M entries)',
      measured: `${fmt(auditAsOf.latencyMs.p50)} vs ${fmt(auditBalance.latencyMs.p50)} ms p50 (p99 ${fmt(auditAsOf.latencyMs.p99)} vs ${fmt(auditBalance.latencyMs.p99)})`,
      met: auditAsOf.latencyMs.p50 <= 3 * auditBalance.latencyMs.p50,
    });
  }
  const exportFigure = audit?.streams[0];
  if (exportFigure) {
    goals.push({
      goal: 'export of every entry in flat memory (API peak RSS − RSS before < 100 MiB)',
      measured: `${exportFigure.rows} entries in ${(exportFigure.wallMs / 1000).toFixed(1)} s; RSS ${exportFigure.rssMiB.before.toFixed(0)} → peak ${exportFigure.rssMiB.peak.toFixed(0)} MiB`,
      met: exportFigure.rssMiB.peak - exportFigure.rssMiB.before < 100,
    });
  }
  const page = byKey('ledger-first');
  if (page)
    goals.push({
      goal: 'ledger page p99 < 5 ms (1M entries)',
      measured: `${fmt(page.latencyMs.p99)} ms at ${page.rate}/s`,
      met: page.latencyMs.p99 < 5,
    });

  const finishedAt = new Date();
  machineInfo.loadAvgAtEnd = machine().loadAvg;
  const result: BenchResult = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSec: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    options: { ...options, only: [...options.only] },
    machine: machineInfo,
    settings: stack.settings,
    seed,
    idleCpuPerSecMs,
    scenarios,
    maxRate: maxRates,
    sustained,
    ratios,
    timelines,
    invariants,
    goals,
    notes,
    ...(audit ? { audit } : {}),
    ...(overload ? { overload } : {}),
    ...(topologies.length > 0 ? { topologies } : {}),
  };
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const base = path.join(REPO_ROOT, 'bench', 'results', `${stamp}${options.quick ? '-quick' : ''}`);
  mkdirSync(path.dirname(base), { recursive: true });
  writeFileSync(
    `${base}.json`,
    `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' ? round(v) : v), 2)}\n`,
  );
  const markdown = renderMarkdown(result);
  writeFileSync(`${base}.md`, markdown);
  process.stdout.write(`\n${markdown}\n`);
  log(`results: ${path.relative(REPO_ROOT, base)}.json and .md`);
}

main()
  .then(() => teardown())
  .then(
    () => process.exit(0),
    async (error: unknown) => {
      log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      keepLogsOnFailure = true;
      await teardown();
      process.exit(1);
    },
  );
