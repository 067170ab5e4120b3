/**
 * Worker and client in one process (one NativeConnection, so eager workflow start is
 * possible), started by bench/experiments/temporal-cost.ts. Registers the real activities and
 * the workflows of bench/experiments/variants.ts, runs the cases of BENCH_CASES one after the
 * other, and writes per-case latency and CPU (its own, the Temporal server's, the database's
 * backends') to BENCH_OUT. Service settings come from the usual environment (src/config.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import postgres from 'postgres';
import { createActivities } from '../../activities/index.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createPlatformClient } from '../../src/platform/client.js';
import { REPO_ROOT } from '../../src/dev/temporal-server.js';
import { statusQuery, type PurchaseInput } from '../../workflows/purchase.js';
import { cpuBetween, snapshot } from '../lib/cpu.js';
import { sampleTimelines } from '../lib/history.js';
import { summarize } from '../lib/stats.js';
import type { Latency } from '../lib/types.js';
import { outcomeUpdate, type VariantInput } from './variants.js';

export interface Case {
  readonly label: string;
  readonly workflow:
    | 'purchaseProduct'
    | 'purchaseProductV2'
    | 'variantActivities'
    | 'variantNoUpserts'
    | 'variantLocalDb'
    | 'variantAllLocal'
    | 'purchaseProductWithOutcomeUpdate';
  /**
   * How the client learns the result: `result` (default) start + the history long poll, as the
   * API does; `update` Update-with-Start on the `outcome` update (one call); `query` start, then
   * the `status` query every 10 ms until the saga has an outcome.
   */
  readonly wait?: 'result' | 'update' | 'query';
  readonly count: number;
  readonly concurrency: number;
  readonly eager: boolean;
}

export interface CaseResult {
  readonly label: string;
  readonly count: number;
  readonly concurrency: number;
  readonly failed: number;
  readonly perSec: number;
  readonly latencyMs: Latency;
  /** CPU milliseconds per workflow. */
  readonly cpuMs: { readonly workerAndClient: number; readonly temporal: number; readonly postgres: number };
  readonly eagerlyStarted: number;
  /** Medians over up to 20 of the case's histories: workflow tasks per workflow, ms running on the worker. */
  readonly workflowTasks: number | null;
  readonly wftRunMs: number | null;
}

const cases = JSON.parse(process.env.BENCH_CASES ?? '[]') as Case[];
const outFile = process.env.BENCH_OUT ?? '';
const temporalPid = Number(process.env.BENCH_TEMPORAL_PID ?? 0);
const workerOptions = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Partial<WorkerOptions>;
const customer = process.env.BENCH_CUSTOMER ?? 'cus_bench_hot';
const config = loadConfig();
const logger = createLogger(config.logLevel, 'bench-driver');
const platformUrl = config.platform.url ?? '';
const database = await openDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax });
const sql = postgres(config.databaseUrl ?? '', { max: 1, onnotice: () => undefined });

const connection = await NativeConnection.connect({ address: config.temporal.address ?? '' });
const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  activities: createActivities({
    config,
    database,
    logger,
    platform: (requestId?: string) =>
      createPlatformClient({
        baseUrl: platformUrl,
        timeoutMs: config.platform.timeoutMs,
        ...(requestId ? { requestId } : {}),
      }),
  }),
  workflowsPath: path.join(REPO_ROOT, 'bench', 'experiments', 'variants.ts'),
  ...workerOptions,
});
const client = new Client({ connection, namespace: config.temporal.namespace });
const stamp = Date.now().toString(36);

async function pgPids(): Promise<number[]> {
  return (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`).map(
    (r) => r.pid,
  );
}

function selfMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function runCase(c: Case, seq: number): Promise<CaseResult> {
  const samples: number[] = [];
  const ids: string[] = [];
  let failed = 0;
  let eagerlyStarted = 0;
  const one = async (i: number): Promise<void> => {
    const purchaseId = `pur_x${stamp}${seq}x${i}`;
    const workflowId = `purchase-${purchaseId}`;
    const args: [PurchaseInput] | [VariantInput] =
      c.workflow === 'purchaseProduct' ||
      c.workflow === 'purchaseProductV2' ||
      c.workflow === 'purchaseProductWithOutcomeUpdate'
        ? [
            {
              purchaseId,
              customerId: customer,
              productId: 'prod_cable',
              quantity: 1,
              actor: 'bench',
              requestId: null,
              shipmentBudgetMs: 60_000,
            },
          ]
        : [{ purchaseId, customerId: customer, productId: 'prod_cable', quantity: 1, actor: 'bench' }];
    const started = performance.now();
    try {
      const options = { taskQueue: config.temporal.taskQueue, workflowId, args, requestEagerStart: c.eager };
      if (c.wait === 'update') {
        await client.workflow.executeUpdateWithStart(outcomeUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation(c.workflow, {
            ...options,
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
      } else {
        const handle = await client.workflow.start(c.workflow, options);
        if (handle.eagerlyStarted) eagerlyStarted++;
        if (c.wait === 'query') {
          while ((await handle.query(statusQuery)).outcome === 'pending') await new Promise((r) => setTimeout(r, 10));
        } else await handle.result();
      }
      samples.push(performance.now() - started);
      ids.push(workflowId);
    } catch (error) {
      failed++;
      if (failed <= 3) logger.error({ err: error, workflow: c.workflow }, 'case workflow failed');
    }
  };
  const pids = await pgPids();
  const before = { self: selfMs(), temporal: snapshot([temporalPid]), pg: snapshot(pids) };
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: c.concurrency }, async () => {
      while (next < c.count) await one(next++);
    }),
  );
  const wall = performance.now() - t0;
  const after = {
    self: selfMs(),
    temporal: snapshot([temporalPid]),
    pg: snapshot([...new Set([...pids, ...(await pgPids())])]),
  };
  const n = Math.max(1, c.count);
  const timelines = await sampleTimelines(client, ids.slice(-20));
  return {
    label: c.label,
    count: c.count,
    concurrency: c.concurrency,
    failed,
    perSec: (samples.length / wall) * 1000,
    latencyMs: summarize(samples),
    cpuMs: {
      workerAndClient: (after.self - before.self) / n,
      temporal: cpuBetween(before.temporal, after.temporal) / n,
      postgres: cpuBetween(before.pg, after.pg) / n,
    },
    eagerlyStarted,
    workflowTasks: timelines?.workflowTasks ?? null,
    wftRunMs: timelines?.wftRunMs ?? null,
  };
}

const results: CaseResult[] = [];
await worker.runUntil(async () => {
  // Warm-up: JIT, the workflow bundle's V8 context, connections.
  for (const workflow of new Set(cases.map((c) => c.workflow))) {
    await runCase({ label: 'warm-up', workflow, count: 5, concurrency: 1, eager: false }, 0);
  }
  for (const [i, c] of cases.entries()) {
    const r = await runCase(c, i + 1);
    results.push(r);
    process.stdout.write(
      `${r.label}: ${r.latencyMs.p50.toFixed(1)} ms p50, ${r.perSec.toFixed(1)}/s, CPU/wf worker ${r.cpuMs.workerAndClient.toFixed(1)} temporal ${r.cpuMs.temporal.toFixed(1)} pg ${r.cpuMs.postgres.toFixed(1)} ms, workflow task ${r.wftRunMs?.toFixed(1) ?? '–'} ms${r.failed ? `, ${r.failed} failed` : ''}\n`,
    );
  }
});
writeFileSync(outFile, JSON.stringify(results));
await sql.end({ timeout: 5 });
await database.close();
await connection.close();
process.exit(0);
