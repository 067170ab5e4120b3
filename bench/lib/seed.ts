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
import type postgres from 'postgres';

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
async function withoutSecondaryIndexes(tx: postgres.TransactionSql, table: string, fn: () => Promise<unknown>): Promise<void> {
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
  return timed('purchaser accounts (1 grant each)', customers.length * 2, () => sql.begin(async (tx) => {
    await tx`
      insert into credit_accounts (customer_id, currency, balance, held, version)
      select c, ${CURRENCY}, ${PURCHASER_BALANCE}, 0, 1 from unnest(${tx.array([...customers])}::text[]) as c`;
    await tx`
      insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor, idempotency_key)
      select 'ent_bench_g_' || c, c, 1, 'grant', ${PURCHASER_BALANCE}, ${CURRENCY}, ${PURCHASER_BALANCE}, 'goodwill', 'benchmark seed', 'bench', 'bench:grant:' || c
      from unnest(${tx.array([...customers])}::text[]) as c`;
  }));
}

/** One account with `entries` entries (1,000,000 by default). */
export async function seedLedger(sql: postgres.Sql, entries: number): Promise<SeedTiming> {
  return timed(`ledger entries of ${LEDGER_CUSTOMER} (indexes rebuilt after)`, entries, () => sql.begin(async (tx) => {
    await bulkLoadSettings(tx);
    await tx`
      insert into credit_accounts (customer_id, currency, balance, held, version)
      values (${LEDGER_CUSTOMER}, ${CURRENCY}, ${ledgerBalanceAfter(entries)}, 0, ${entries})`;
    await withoutSecondaryIndexes(tx, 'ledger_entries', () => tx`
      insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor, idempotency_key, created_at)
      select 'ent_bench_l_' || lpad(i::text, 8, '0'), ${LEDGER_CUSTOMER}, i,
             case when i % 10 = 0 then 'deduction' else 'grant' end,
             case when i % 10 = 0 then -50 else 100 end,
             ${CURRENCY},
             100::bigint * i - 150::bigint * (i / 10),
             case when i % 10 = 0 then 'correction' else 'goodwill' end,
             null, 'bench', 'bench:ledger:' || i,
             timestamptz '2025-01-01T00:00:00Z' + i * interval '1 second'
      from generate_series(1, ${entries}::int) as i`);
  }));
}

/**
 * `count` purchases (1,000,000 by default), one every 30 s from 2025-01-01: customer i % 1000,
 * and product, quantity and status from other divisors of i so that no two filters correlate
 * (5% refunded, 5% partially refunded, 90% completed).
 */
export async function seedPurchases(sql: postgres.Sql, count: number): Promise<SeedTiming> {
  return timed('purchases for listing (indexes rebuilt after)', count, () => sql.begin(async (tx) => {
    await bulkLoadSettings(tx);
    await tx`
      insert into credit_accounts (customer_id, currency)
      select 'cus_bench_l' || lpad(g::text, 4, '0'), ${CURRENCY} from generate_series(0, ${LISTING_CUSTOMERS - 1}::int) as g`;
    await withoutSecondaryIndexes(tx, 'purchases', () => tx`
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
                           timestamptz '2025-01-01T00:00:00Z' + i * interval '30 seconds' as t) as x`);
  }));
}

/** What autovacuum would have done by the time such tables are read in production. */
export async function vacuumAnalyze(sql: postgres.Sql): Promise<SeedTiming> {
  return timed('VACUUM ANALYZE', 0, async () => {
    for (const table of ['credit_accounts', 'ledger_entries', 'purchases', 'credit_holds', 'purchase_attempts', 'idempotency_keys']) {
      await sql.unsafe(`vacuum (analyze) ${table}`);
    }
  });
}
