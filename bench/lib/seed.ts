/**
 * Seed data, written straight into the benchmark's database with one INSERT … SELECT per table
 * (generate_series / unnest), in the shapes the constraints demand:
 * - every account's chain is consistent: entries numbered 1..N by account_version, each
 *   balance_after the running sum, and the credit_accounts row's balance and version equal to
 *   the last entry's (ledger_entries is append-only; INSERT is all we do);
 * - purchases satisfy their CHECKs (subtotal = unit_price × quantity, total = subtotal −
 *   discount, status agrees with refunded_amount) and reference an existing account.
 * Seeded purchases have no ledger entries, holds or refunds of their own: they exist to be
 * listed. The invariant check of the benchmark therefore looks only at the saga's customers.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type postgres from 'postgres';
import { chainHash, formatMicros, GENESIS_HASH } from '../../src/domain/ledger-chain.js';

export const CURRENCY = 'USD';
/** Credit of each purchasing customer: far more than any run can spend. */
export const PURCHASER_BALANCE = 100_000_000_000;

export const HOT_CUSTOMER = 'cus_bench_hot';
export const LEDGER_CUSTOMER = 'cus_bench_ledger';

export function coldCustomers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `cus_bench_c${String(i).padStart(4, '0')}`);
}

export function listingCustomer(i: number): string {
  return `cus_bench_l${String(i).padStart(4, '0')}`;
}

export const LISTING_CUSTOMERS = 1000;

/** Balance after entry `i` of the ledger account: +100 per entry, every 10th a −50 deduction. */
export function ledgerBalanceAfter(i: number): number {
  return 100 * i - 150 * Math.floor(i / 10);
}

export interface SeedTiming {
  readonly step: string;
  readonly rows: number;
  readonly ms: number;
}

/**
 * Runs `fn` (inside the caller's transaction) with the table's secondary indexes dropped, then
 * recreates them from their own definitions: one sorted index build is far cheaper than a
 * million random insertions into each index. The primary key stays (rows are inserted in its
 * order). Nothing else uses the benchmark's database while it is seeded.
 */
async function withoutSecondaryIndexes(
  tx: postgres.TransactionSql,
  table: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  const indexes = await tx<{ indexname: string; indexdef: string }[]>`
    select i.indexname, i.indexdef from pg_indexes i
    where i.schemaname = 'public' and i.tablename = ${table}
      and i.indexname not in (select conname from pg_constraint where conrelid = ${table}::regclass)`;
  for (const index of indexes) await tx.unsafe(`drop index "${index.indexname}"`);
  await fn();
  for (const index of indexes) await tx.unsafe(index.indexdef);
}

/**
 * Bulk-load settings of the seeding transaction: no WAL flush wait at commit, memory for the
 * index builds, and no per-row foreign-key triggers (replica role: the rows reference accounts
 * inserted just before, consistent by construction; needs a superuser, as the local server's
 * `postgres` is).
 */
async function bulkLoadSettings(tx: postgres.TransactionSql): Promise<void> {
  await tx`set local synchronous_commit = off`;
  await tx`set local maintenance_work_mem = '256MB'`;
  await tx`set local session_replication_role = replica`;
}

async function timed(step: string, rows: number, fn: () => Promise<unknown>): Promise<SeedTiming> {
  const started = performance.now();
  await fn();
  return { step, rows, ms: Math.round(performance.now() - started) };
}

/** Accounts with one grant each, for the customers the purchase scenarios buy for. */
export async function seedPurchasers(sql: postgres.Sql, customers: readonly string[]): Promise<SeedTiming> {
  return timed('purchaser accounts (1 grant each)', customers.length * 2, () =>
    sql.begin(async (tx) => {
      await tx`
      insert into credit_accounts (customer_id, currency, balance, held, version)
      select c, ${CURRENCY}, ${PURCHASER_BALANCE}, 0, 1 from unnest(${tx.array([...customers])}::text[]) as c`;
      await tx`
      insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor, idempotency_key)
      select 'ent_bench_g_' || c, c, 1, 'grant', ${PURCHASER_BALANCE}, ${CURRENCY}, ${PURCHASER_BALANCE}, 'goodwill', 'benchmark seed', 'bench', 'bench:grant:' || c
      from unnest(${tx.array([...customers])}::text[]) as c`;
    }),
  );
}

/** Seconds between the ledger account's holds; each is captured 3 s after it is created. */
export const LEDGER_HOLD_EVERY_SEC = 10;

/** The time of entry `i` of the ledger account: one a second from 2025-01-01. */
export function ledgerEntryMicros(i: number): bigint {
  return (BigInt(Date.parse('2025-01-01T00:00:00Z')) + BigInt(i) * 1000n) * 1000n;
}

/**
 * One account with `entries` entries (1,000,000 by default), streamed in with COPY: the chain
 * trigger is off for the bulk load (replica role), so the hash of each entry is computed here
 * with the same function the verifier uses, entry after entry. The account also gets a hold
 * history (one hold every 10 s, captured 3 s later) for the balance-at-an-instant queries.
 */
export async function seedLedger(sql: postgres.Sql, entries: number): Promise<SeedTiming> {
  return timed(
    `ledger entries of ${LEDGER_CUSTOMER} with their hash chain, and its holds (COPY; indexes rebuilt after)`,
    entries,
    () =>
      sql.begin(async (tx) => {
        await bulkLoadSettings(tx);
        await tx`
      insert into credit_accounts (customer_id, currency, balance, held, version)
      values (${LEDGER_CUSTOMER}, ${CURRENCY}, ${ledgerBalanceAfter(entries)}, 0, ${entries})`;
        await withoutSecondaryIndexes(tx, 'ledger_entries', async () => {
          const copy = await tx`
        copy ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor,
                             approved_by, purchase_id, refund_id, workflow_id, request_id, idempotency_key, created_at, hash) from stdin`.writable();
          let previous = GENESIS_HASH;
          let chunk: string[] = [];
          const flush = async (): Promise<void> => {
            if (chunk.length === 0) return;
            if (!copy.write(chunk.join(''))) await once(copy, 'drain');
            chunk = [];
          };
          for (let i = 1; i <= entries; i += 1) {
            const deduction = i % 10 === 0;
            const entry = {
              id: `ent_bench_l_${String(i).padStart(8, '0')}`,
              customerId: LEDGER_CUSTOMER,
              accountVersion: i,
              type: deduction ? 'deduction' : 'grant',
              amount: deduction ? -50 : 100,
              currency: CURRENCY,
              balanceAfter: ledgerBalanceAfter(i),
              reason: deduction ? 'correction' : 'goodwill',
              note: null,
              actor: 'bench',
              approvedBy: null,
              purchaseId: null,
              refundId: null,
              workflowId: null,
              requestId: null,
              idempotencyKey: `bench:ledger:${i}`,
              createdAtMicros: ledgerEntryMicros(i),
            };
            previous = chainHash(previous, entry);
            chunk.push(
              `${entry.id}\t${LEDGER_CUSTOMER}\t${i}\t${entry.type}\t${entry.amount}\t${CURRENCY}\t${entry.balanceAfter}\t${entry.reason}\t\\N\tbench\t\\N\t\\N\t\\N\t\\N\t\\N\t${entry.idempotencyKey}\t${formatMicros(entry.createdAtMicros)}\t${previous}\n`,
            );
            if (chunk.length >= 5000) await flush();
          }
          await flush();
          copy.end();
          await finished(copy);
        });
        await withoutSecondaryIndexes(
          tx,
          'credit_holds',
          () => tx`
      insert into credit_holds (id, customer_id, purchase_id, workflow_id, amount, currency, status, resolution, created_at, resolved_at, open_since)
      select 'hold_bench_l_' || lpad(i::text, 8, '0'), ${LEDGER_CUSTOMER}, 'pur_bench_l_' || lpad(i::text, 8, '0'), null, 40, ${CURRENCY},
             'captured', 'purchase_committed', t, t + interval '3 seconds', t
      from generate_series(${LEDGER_HOLD_EVERY_SEC}::int, ${entries}::int, ${LEDGER_HOLD_EVERY_SEC}::int) as i,
           lateral (select timestamptz '2025-01-01T00:00:00Z' + i * interval '1 second' + interval '500 milliseconds' as t) as x`,
        );
      }),
  );
}

/**
 * `count` purchases (1,000,000 by default), one every 30 s from 2025-01-01: customer i % 1000,
 * and product, quantity and status from other divisors of i so that no two filters correlate
 * (5% refunded, 5% partially refunded, 90% completed).
 */
export async function seedPurchases(sql: postgres.Sql, count: number): Promise<SeedTiming> {
  return timed('purchases for listing (indexes rebuilt after)', count, () =>
    sql.begin(async (tx) => {
      await bulkLoadSettings(tx);
      await tx`
      insert into credit_accounts (customer_id, currency)
      select 'cus_bench_l' || lpad(g::text, 4, '0'), ${CURRENCY} from generate_series(0, ${LISTING_CUSTOMERS - 1}::int) as g`;
      await withoutSecondaryIndexes(
        tx,
        'purchases',
        () => tx`
      insert into purchases (id, customer_id, product_id, product_name, quantity, unit_price, subtotal, discount, total, currency,
                             status, refunded_amount, shipment_id, shipment_status, shipping_address, workflow_id, actor, created_at, updated_at)
      select 'pur_bench_' || lpad(i::text, 8, '0'),
             'cus_bench_l' || lpad((i % ${LISTING_CUSTOMERS}::int)::text, 4, '0'),
             (array['prod_keyboard','prod_mouse','prod_monitor','prod_cable'])[1 + (i / 3) % 4],
             (array['Mechanical Keyboard','Wireless Mouse','27-inch 4K Monitor','USB-C Cable'])[1 + (i / 3) % 4],
             q, price, price * q, 0, price * q, ${CURRENCY},
             case when s = 0 then 'refunded' when s = 1 then 'partially_refunded' else 'completed' end,
             case when s = 0 then price * q when s = 1 then 1 else 0 end,
             'shp_bench_' || i, 'created',
             '{"line1":"1 Bench Street","line2":null,"city":"Testville","postalCode":"12345","country":"US"}'::jsonb,
             'purchase-pur_bench_' || lpad(i::text, 8, '0'), 'bench', t, t
      from generate_series(1, ${count}::int) as i,
           lateral (select (array[8999, 2999, 34999, 999])[1 + (i / 3) % 4]::bigint as price, 1 + (i / 7) % 3 as q, (i / 11) % 20 as s,
                           timestamptz '2025-01-01T00:00:00Z' + i * interval '30 seconds' as t) as x`,
      );
    }),
  );
}

/** What autovacuum would have done by the time such tables are read in production. */
export async function vacuumAnalyze(sql: postgres.Sql): Promise<SeedTiming> {
  return timed('VACUUM ANALYZE', 0, async () => {
    for (const table of [
      'credit_accounts',
      'ledger_entries',
      'purchases',
      'credit_holds',
      'purchase_attempts',
      'idempotency_keys',
    ]) {
      await sql.unsafe(`vacuum (analyze) ${table}`);
    }
  });
}
