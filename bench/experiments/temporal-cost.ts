/**
 * What the saga's shape costs in Temporal, measured before changing workflows/:
 *   npx tsx bench/experiments/temporal-cost.ts [--memory] [--worker-options '{"maxCachedWorkflows":500}']
 *                                              [--only <label text>] [--repeat N] [--profile <dir>]
 *
 * Boots a Temporal dev server (SQLite file, or in memory with --memory), a fresh migrated
 * database with one funded customer, platform-mock, and bench/experiments/driver.ts (worker
 * and client in one process). The driver runs the real saga and the variants of
 * bench/experiments/variants.ts — without search-attribute upserts, with the database steps as
 * local activities, with every step local, and with eager workflow start — sequentially (for
 * latency) and 8 at a time (for throughput and CPU per workflow). No HTTP API is involved: this
 * isolates Temporal's share. Writes bench/results/<date>-temporal-cost.json and .md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { REPO_ROOT, freePort, startDevServer } from '../../src/dev/temporal-server.js';
import { findDescendant, machine } from '../lib/cpu.js';
import { startNode, waitForExit, waitForHttp, type Service } from '../lib/processes.js';
import { HOT_CUSTOMER, seedPurchasers } from '../lib/seed.js';
import type { Case, CaseResult } from './driver.js';

const { values } = parseArgs({
  options: {
    memory: { type: 'boolean', default: false },
    'worker-options': { type: 'string', default: '{}' },
    /** Only the cases whose label contains this text. */
    only: { type: 'string' },
    /** Run the selected cases this many times, interleaved (a, b, a, b …), to compare them under the same load. */
    repeat: { type: 'string', default: '1' },
    /** Write a V8 CPU profile of the driver (main thread) into this folder. */
    profile: { type: 'string' },
  },
});
const workerOptions = JSON.parse(values['worker-options'] ?? '{}') as Record<string, unknown>;
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const SEQ = 20;
const CONC = 60;
const CASES: Case[] = [
  ...(
    [
      'purchaseProduct',
      'purchaseProductV2',
      'variantActivities',
      'variantNoUpserts',
      'variantLocalDb',
      'variantAllLocal',
    ] as const
  ).flatMap((workflow) => [
    { label: `${workflow}, sequential`, workflow, count: SEQ, concurrency: 1, eager: false },
    { label: `${workflow}, 8 concurrent`, workflow, count: CONC, concurrency: 8, eager: false },
  ]),
  ...([1, 8] as const).flatMap((concurrency) =>
    [
      {
        label: `how the caller learns the result, c=${concurrency}: start + history long poll`,
        workflow: 'purchaseProduct' as const,
        wait: 'result' as const,
      },
      {
        label: `how the caller learns the result, c=${concurrency}: Update-with-Start`,
        workflow: 'purchaseProductWithOutcomeUpdate' as const,
        wait: 'update' as const,
      },
      {
        label: `how the caller learns the result, c=${concurrency}: start + status query every 10 ms`,
        workflow: 'purchaseProduct' as const,
        wait: 'query' as const,
      },
    ].map((c) => ({ ...c, count: concurrency === 1 ? SEQ : CONC, concurrency, eager: false })),
  ),
  {
    label: 'purchaseProduct, sequential, eager start',
    workflow: 'purchaseProduct',
    count: SEQ,
    concurrency: 1,
    eager: true,
  },
  {
    label: 'variantAllLocal, sequential, eager start',
    workflow: 'variantAllLocal',
    count: SEQ,
    concurrency: 1,
    eager: true,
  },
];

const chosen = CASES.filter((c) => !values.only || c.label.includes(values.only));
const selected = Array.from({ length: Math.max(1, Number(values.repeat) || 1) }, () => chosen).flat();

const stops: (() => Promise<void>)[] = [];
async function teardown(): Promise<void> {
  for (const stop of stops.reverse())
    await stop().catch((error: unknown) => process.stderr.write(`teardown: ${String(error)}\n`));
  stops.length = 0;
}
process.once('SIGINT', () => void teardown().finally(() => process.exit(130)));
const deadline = setTimeout(() => {
  process.stderr.write('temporal-cost: 15 min limit reached\n');
  void teardown().finally(() => process.exit(1));
}, 15 * 60_000);
deadline.unref();

function withDb(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'temporal-cost-'));
  stops.push(() => Promise.resolve(rmSync(tmp, { recursive: true, force: true })));
  const port = await freePort();
  const dev = await startDevServer({
    port,
    headless: true,
    ...(values.memory ? {} : { dbFile: path.join(tmp, 'temporal.db') }),
  });
  stops.push(() => dev.stop());
  const temporalPid = findDescendant(process.pid, ['start-dev', String(port)]) ?? 0;

  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  const dbName = `ledger_bench_${Date.now().toString(36)}_${process.pid}`;
  await admin.unsafe(`create database "${dbName}"`);
  stops.push(async () => {
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.end({ timeout: 5 });
  });
  const dbUrl = withDb(dbName);
  const migrate = startNode(
    'migrate',
    [path.join('src', 'main.ts'), 'migrate'],
    { DATABASE_URL: dbUrl, LOG_LEVEL: 'warn' },
    tmp,
  );
  if ((await waitForExit(migrate, 120_000)) !== 0) throw new Error(`migrate failed\n${migrate.tail()}`);
  const sql = postgres(dbUrl, { max: 1, onnotice: () => undefined });
  stops.push(() => sql.end({ timeout: 5 }));
  await seedPurchasers(sql, [HOT_CUSTOMER]);

  const platformPort = await freePort();
  const platform = startNode(
    'platform-mock',
    [path.join('platform-mock', 'src', 'main.ts')],
    { PLATFORM_PORT: String(platformPort) },
    tmp,
  );
  stops.push(() => platform.stop());
  const platformUrl = `http://127.0.0.1:${platformPort}`;
  await waitForHttp(`${platformUrl}/health`, 60_000, platform);
  const created = await fetch(`${platformUrl}/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: HOT_CUSTOMER,
      name: 'Bench Hot',
      email: 'hot@bench.example',
      address: { line1: '1 Bench Street', city: 'Testville', postalCode: '12345', country: 'US' },
    }),
  });
  if (created.status !== 201) throw new Error(`platform-mock: ${created.status}`);

  const outFile = path.join(tmp, 'driver.json');
  const profileArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
  const driver: Service = startNode(
    'driver',
    [...profileArgs, path.join('bench', 'experiments', 'driver.ts')],
    {
      NODE_ENV: 'production',
      DATABASE_URL: dbUrl,
      DATABASE_POOL_MAX: '10',
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: 'bench-variants',
      PLATFORM_API_URL: platformUrl,
      API_TOKENS: `bench:storefront:bench_${randomBytes(12).toString('hex')}`,
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_MS: '0',
      BENCH_CASES: JSON.stringify(selected),
      BENCH_OUT: outFile,
      BENCH_TEMPORAL_PID: String(temporalPid),
      BENCH_WORKER_OPTIONS: JSON.stringify(workerOptions),
      BENCH_CUSTOMER: HOT_CUSTOMER,
    },
    tmp,
  );
  stops.push(() => driver.stop());
  driver.child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  if ((await waitForExit(driver, 12 * 60_000)) !== 0) throw new Error(`driver failed\n${driver.tail()}`);
  const results = JSON.parse(readFileSync(outFile, 'utf8')) as CaseResult[];

  const m = machine();
  const started = new Date();
  const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');
  const lines = [
    `# Temporal cost of the saga's shape, ${started.toISOString()}`,
    '',
    `${os.availableParallelism()} cores (${m.cpuModel}), Node ${process.version}, dev server ${values.memory ? 'in memory' : 'with a SQLite file'}, worker options ${JSON.stringify(workerOptions)}. Load average at the end ${machine().loadAvg}.`,
    'Worker and client share one process (its CPU is the "worker" column); no HTTP API. CPU columns are milliseconds per workflow.',
    '',
    '| case | p50 ms | p95 ms | workflows/s | CPU worker+client | CPU Temporal | CPU Postgres | workflow task ms (median of ≤ 20 histories) | failed | eagerly started |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p95)} | ${fmt(r.perSec)} | ${fmt(r.cpuMs.workerAndClient)} | ${fmt(r.cpuMs.temporal)} | ${fmt(r.cpuMs.postgres)} | ${fmt(r.wftRunMs ?? NaN)} | ${r.failed} | ${r.eagerlyStarted} |`,
    ),
    '',
  ];
  const stampName = started
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const base = path.join(REPO_ROOT, 'bench', 'results', `${stampName}-temporal-cost${values.memory ? '-memory' : ''}`);
  mkdirSync(path.dirname(base), { recursive: true });
  writeFileSync(
    `${base}.json`,
    `${JSON.stringify({ startedAt: started.toISOString(), memory: values.memory, workerOptions, results }, null, 2)}\n`,
  );
  writeFileSync(`${base}.md`, lines.join('\n'));
  process.stdout.write(`\n${lines.join('\n')}\nwritten: ${path.relative(REPO_ROOT, base)}.md\n`);
}

main()
  .then(() => teardown())
  .then(
    () => process.exit(0),
    async (error: unknown) => {
      process.stderr.write(
        `temporal-cost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      await teardown();
      process.exit(1);
    },
  );
