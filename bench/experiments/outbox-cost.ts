/**
 * What does the transactional outbox cost the purchase commit?
 * `npx tsx bench/experiments/outbox-cost.ts [--runs 3] [--commits 400] [--concurrency 1,16]`
 *
 * A fresh database (migrated, dropped at the end) with 64 funded customers. Each measurement
 * reserves `commits` holds first (not timed), then commits them — `concurrency` clients at a
 * time, each committing one purchase after another — timing every commit transaction:
 *
 * - `with event`: the service's own `commitPurchase` (src/db/purchase-repository.ts), which
 *   appends `purchase.completed` as its last statement (the counter row's UPDATE and the
 *   event's INSERT, one statement) and holds the counter row until its commit;
 * - `without event`: the same transaction statement for statement, minus that append (the
 *   body below is `commitPurchase` before the outbox; the experiment checks that both leave
 *   the same purchase, entry and hold behind).
 *
 * Variants alternate run by run (with, without, with, …) so drifting load hits both alike.
 * Reported per variant and concurrency: the median over runs of the commit's p50 and p99 and of
 * the throughput (commits / wall time of the commit phase), with the machine's load: the
 * 1-minute load average and the busy cores (all processes, this one and Postgres included)
 * during each run.
 */
import { and, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, type Db } from '../../src/db/client.js';
import { postEntry } from '../../src/db/credit-repository.js';
import { commitPromo } from '../../src/db/promo-repository.js';
import { commitPurchase, insertAttempt, reserveCredit, type CommitInput } from '../../src/db/purchase-repository.js';
import { creditHolds, purchaseAttempts, purchases } from '../../src/db/schema.js';
import { newId } from '../../src/domain/ids.js';
import { machine, machineBusyMs } from '../lib/cpu.js';
import { median, round, summarize } from '../lib/stats.js';
import { loadavg } from 'node:os';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const RUNS = Number(arg('runs', '3'));
const COMMITS = Number(arg('commits', '400'));
const CONCURRENCY = arg('concurrency', '1,16').split(',').map(Number);
const CUSTOMERS = 64;

/** `commitPurchase` without the outbox append: the baseline. */
async function commitWithoutEvent(db: Db, input: CommitInput): Promise<void> {
  await db.transaction(async (tx) => {
    const existing = await tx.select().from(purchases).where(eq(purchases.id, input.purchaseId)).limit(1);
    if (existing[0]) return;
    const captured = await tx
      .update(creditHolds)
      .set({ status: 'captured', resolution: 'purchase_committed', resolvedAt: sql`clock_timestamp()` })
      .where(and(eq(creditHolds.purchaseId, input.purchaseId), eq(creditHolds.status, 'pending')))
      .returning();
    if (!captured[0] || captured[0].amount !== input.total) throw new Error('no hold to capture');
    await postEntry(tx, {
      customerId: input.customerId,
      type: 'purchase',
      amount: -input.total,
      currency: input.currency,
      reason: 'purchase',
      note: `${input.quantity} × ${input.productName}`,
      actor: input.actor,
      purchaseId: input.purchaseId,
      workflowId: input.workflowId,
      requestId: input.requestId,
      idempotencyKey: `purchase:${input.purchaseId}`,
      releaseHeld: input.total,
    });
    await tx
      .insert(purchases)
      .values({
        id: input.purchaseId,
        customerId: input.customerId,
        productId: input.productId,
        productName: input.productName,
        quantity: input.quantity,
        unitPrice: input.unitPrice,
        subtotal: input.subtotal,
        discount: input.discount,
        total: input.total,
        currency: input.currency,
        promoCode: input.promoCode,
        shipmentId: input.shipmentId,
        shipmentStatus: input.shipmentStatus,
        shippingAddress: input.address,
        workflowId: input.workflowId,
        actor: input.actor,
      })
      .returning();
    await commitPromo(tx, input.purchaseId);
    await tx
      .update(purchaseAttempts)
      .set({ status: 'completed', finishedAt: sql`clock_timestamp()` })
      .where(eq(purchaseAttempts.id, input.purchaseId));
  });
}

type Variant = 'with event' | 'without event';

interface RunResult {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  readonly load1: number;
  readonly busyCores: number;
}

async function prepare(db: Db, customers: readonly string[], count: number): Promise<CommitInput[]> {
  const inputs: CommitInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const purchaseId = newId('pur');
    const customerId = customers[i % customers.length] ?? '';
    const workflowId = `purchase-${purchaseId}`;
    await insertAttempt(db, {
      id: purchaseId,
      customerId,
      productId: 'prod_cable',
      quantity: 1,
      promoCode: null,
      workflowId,
      actor: 'bench',
      requestId: null,
    });
    await reserveCredit(db, {
      purchaseId,
      customerId,
      productId: 'prod_cable',
      subtotal: 999,
      currency: 'USD',
      promoCode: null,
      workflowId,
    });
    inputs.push({
      purchaseId,
      customerId,
      productId: 'prod_cable',
      productName: 'USB-C Cable',
      quantity: 1,
      unitPrice: 999,
      subtotal: 999,
      discount: 0,
      total: 999,
      currency: 'USD',
      promoCode: null,
      shipmentId: `shp_${purchaseId}`,
      shipmentStatus: 'created',
      address: { line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' },
      workflowId,
      actor: 'bench',
      requestId: null,
    });
  }
  return inputs;
}

async function measure(db: Db, variant: Variant, inputs: CommitInput[], concurrency: number): Promise<RunResult> {
  const samples: number[] = [];
  let next = 0;
  const busyBefore = machineBusyMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const input = inputs[next];
        next += 1;
        if (!input) return;
        const t0 = performance.now();
        if (variant === 'with event') await commitPurchase(db, input);
        else await commitWithoutEvent(db, input);
        samples.push(performance.now() - t0);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const latency = summarize(samples);
  return {
    p50: latency.p50,
    p99: latency.p99,
    perSecond: (inputs.length / wallMs) * 1000,
    load1: loadavg()[0] ?? Number.NaN,
    busyCores: (machineBusyMs() - busyBefore) / wallMs,
  };
}

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `ledger_bench_outbox_${Date.now().toString(36)}_${process.pid}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
await admin.unsafe(`create database "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
try {
  const database = await openDatabase({ url: url.toString(), poolMax: Math.max(...CONCURRENCY) + 2 });
  try {
    await migrateDatabase(database);
    const { db } = database;
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `cus_outbox_${i}`);
    for (const customerId of customers) {
      await db.transaction((tx) =>
        postEntry(tx, {
          customerId,
          type: 'grant',
          amount: 1e11,
          currency: 'USD',
          reason: 'goodwill',
          note: null,
          actor: 'bench',
          idempotencyKey: `grant:${customerId}`,
        }),
      );
    }
    // Warm-up (connections, plans), both variants, not reported.
    for (const variant of ['with event', 'without event'] as const)
      await measure(db, variant, await prepare(db, customers, 50), 4);

    const { cpuModel } = machine();
    console.log(
      `machine: ${cpuModel}, load average at start ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const results = new Map<string, RunResult[]>();
    for (const concurrency of CONCURRENCY) {
      for (let run = 0; run < RUNS; run += 1) {
        const order: Variant[] = run % 2 === 0 ? ['with event', 'without event'] : ['without event', 'with event'];
        for (const variant of order) {
          const inputs = await prepare(db, customers, COMMITS);
          const result = await measure(db, variant, inputs, concurrency);
          const key = `${variant} c=${concurrency}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          console.log(
            `${key} run ${run + 1}: p50 ${round(result.p50)} ms, p99 ${round(result.p99)} ms, ${round(result.perSecond)}/s (load ${result.load1.toFixed(1)}, busy ${result.busyCores.toFixed(2)} cores)`,
          );
        }
      }
    }
    // The append alone, inside the database: EXPLAIN ANALYZE of the statement appendEvent runs
    // (counter UPDATE + INSERT + the sequence trigger), in a transaction rolled back each time.
    const data = JSON.stringify({ id: 'pur_x', note: 'x'.repeat(600) });
    const appendMs: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      await db
        .transaction(async (tx) => {
          const plan = await tx.execute<{ 'QUERY PLAN': string }>(sql`explain (analyze, format text)
            with next as (update event_sequence set last = last + 1 where id = 1 returning last)
            insert into events (sequence, id, type, customer_id, data)
            select next.last, ${newId('evt')}, 'purchase.completed', 'cus_outbox_0', ${data}::jsonb from next`);
          const lines = (Array.isArray(plan) ? plan : []) as { 'QUERY PLAN': string }[];
          const total = lines.map((l) => /Execution Time: ([\d.]+) ms/.exec(l['QUERY PLAN'])?.[1]).find(Boolean);
          if (total) appendMs.push(Number(total));
          throw new Error('rollback');
        })
        .catch((error: unknown) => {
          if (!(error instanceof Error) || error.message !== 'rollback') throw error;
        });
    }
    const inDb = summarize(appendMs);
    console.log(
      `the append statement in the database (EXPLAIN ANALYZE, ${appendMs.length} samples): p50 ${round(inDb.p50)} ms, p99 ${round(inDb.p99)} ms`,
    );
    // Both variants left the same books: every purchase committed with its entry and captured hold.
    const check = await db.execute(sql`
      select count(*)::int as purchases,
             (select count(*)::int from ledger_entries where type = 'purchase') as entries,
             (select count(*)::int from credit_holds where status = 'captured') as captured,
             (select count(*)::int from events where type = 'purchase.completed') as events
      from purchases`);
    console.log('books:', JSON.stringify(Array.isArray(check) ? check[0] : check));
    console.log('\n| variant | concurrency | commit p50 ms | commit p99 ms | commits/s | load1 | busy cores |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const [key, runs] of results) {
      const [variant, c] = key.split(' c=');
      console.log(
        `| ${variant} | ${c} | ${round(median(runs.map((r) => r.p50)))} | ${round(median(runs.map((r) => r.p99)))} | ${round(median(runs.map((r) => r.perSecond)))} | ${median(runs.map((r) => r.load1)).toFixed(1)} | ${median(runs.map((r) => r.busyCores)).toFixed(2)} |`,
      );
    }
  } finally {
    await database.close();
  }
} finally {
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
