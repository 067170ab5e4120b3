/**
 * The money invariants (README, "Money invariants"), checked against the database after every test
 * that moves money. Each returns the violations it found; `assertLedgerInvariants` fails
 * the test with all of them.
 */
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { verifyChains } from '../../src/db/audit-repository.js';
import type { Database } from '../../src/db/client.js';

export interface Violation {
  readonly invariant: string;
  readonly detail: string;
}

async function rows<T>(database: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await database.db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

export async function ledgerViolations(database: Database): Promise<Violation[]> {
  const violations: Violation[] = [];
  // I1: balance = sum of entries; held = sum of pending holds.
  for (const r of await rows<{ customer_id: string; balance: string; entries: string; held: string; holds: string }>(
    database,
    sql`
    select a.customer_id, a.balance, a.held,
           coalesce((select sum(amount) from ledger_entries e where e.customer_id = a.customer_id), 0) as entries,
           coalesce((select sum(amount) from credit_holds h where h.customer_id = a.customer_id and h.status = 'pending'), 0) as holds
    from credit_accounts a`,
  )) {
    if (Number(r.balance) !== Number(r.entries))
      violations.push({
        invariant: 'I1',
        detail: `${r.customer_id}: balance ${r.balance} != sum of entries ${r.entries}`,
      });
    if (Number(r.held) !== Number(r.holds))
      violations.push({ invariant: 'I1', detail: `${r.customer_id}: held ${r.held} != pending holds ${r.holds}` });
  }
  // I2: no balance or available balance below zero, at any point of the history.
  for (const r of await rows<{ customer_id: string; balance: string; held: string }>(
    database,
    sql`
    select customer_id, balance, held from credit_accounts where balance < 0 or held < 0 or balance - held < 0`,
  )) {
    violations.push({ invariant: 'I2', detail: `${r.customer_id}: balance ${r.balance}, held ${r.held}` });
  }
  for (const r of await rows<{ id: string; balance_after: string }>(
    database,
    sql`select id, balance_after from ledger_entries where balance_after < 0`,
  )) {
    violations.push({ invariant: 'I2', detail: `entry ${r.id} left balance ${r.balance_after}` });
  }
  // The chain: each entry's balance_after = previous balance_after + amount, versions gap-free.
  for (const r of await rows<{ id: string; customer_id: string }>(
    database,
    sql`
    select id, customer_id from (
      select id, customer_id, account_version, balance_after, amount,
             lag(balance_after, 1, 0::bigint) over w as prev_balance,
             lag(account_version, 1, 0) over w as prev_version
      from ledger_entries window w as (partition by customer_id order by account_version)
    ) c where balance_after <> prev_balance + amount or account_version <> prev_version + 1`,
  )) {
    violations.push({ invariant: 'I1', detail: `entry ${r.id} of ${r.customer_id} breaks the balance_after chain` });
  }
  // The hash chain, recomputed in TypeScript from the stored fields (what POST /v1/ledger/verify does).
  for (const f of (await verifyChains(database.db)).findings) {
    violations.push({
      invariant: 'I1',
      detail: `${f.customerId}: ${f.kind} at ${f.entryId ?? 'the account'} (${f.detail})`,
    });
  }
  return violations;
}

export async function assertLedgerInvariants(database: Database): Promise<void> {
  expect(await ledgerViolations(database)).toEqual([]);
}

export interface InvariantContext {
  readonly database: Database;
  readonly platformUrl: string;
}

async function shipmentsByKey(platformUrl: string): Promise<Map<string, { id: string; status: string }[]>> {
  const res = await fetch(`${platformUrl}/shipments`);
  const body = (await res.json()) as { data: { id: string; status: string; idempotencyKey?: string }[] };
  const map = new Map<string, { id: string; status: string }[]>();
  for (const s of body.data) {
    const key = s.idempotencyKey ?? '';
    map.set(key, [...(map.get(key) ?? []), s]);
  }
  return map;
}

/** I3, I4 and I5: purchases, shipments, attempts, holds and refunds agree with each other. */
export async function purchaseViolations(ctx: InvariantContext): Promise<Violation[]> {
  const violations: Violation[] = [];
  const shipments = await shipmentsByKey(ctx.platformUrl);
  // I3: a completed purchase has exactly one purchase entry of -total and exactly one shipment.
  for (const r of await rows<{
    id: string;
    total: string;
    entries: string;
    entry_sum: string;
    hold_status: string | null;
  }>(
    ctx.database,
    sql`
    select p.id, p.total,
           (select count(*) from ledger_entries e where e.purchase_id = p.id and e.type = 'purchase') as entries,
           (select coalesce(sum(amount), 0) from ledger_entries e where e.purchase_id = p.id and e.type = 'purchase') as entry_sum,
           (select status from credit_holds h where h.purchase_id = p.id) as hold_status
    from purchases p`,
  )) {
    const expectedEntries = Number(r.total) > 0 ? 1 : 0;
    if (Number(r.entries) !== expectedEntries || Number(r.entry_sum) !== -Number(r.total)) {
      violations.push({
        invariant: 'I3',
        detail: `purchase ${r.id}: ${r.entries} purchase entries summing ${r.entry_sum} for total ${r.total}`,
      });
    }
    if (Number(r.total) > 0 && r.hold_status !== 'captured')
      violations.push({
        invariant: 'I3',
        detail: `purchase ${r.id}: hold is ${r.hold_status ?? 'missing'}, not captured`,
      });
    const found = shipments.get(r.id) ?? [];
    if (found.length !== 1)
      violations.push({ invariant: 'I3', detail: `purchase ${r.id}: ${found.length} shipments on the platform` });
  }
  // I3: a failed attempt left no purchase, no entry, no live shipment and no pending hold.
  for (const r of await rows<{ id: string; purchases: string; entries: string; hold_status: string | null }>(
    ctx.database,
    sql`
    select a.id,
           (select count(*) from purchases p where p.id = a.id) as purchases,
           (select count(*) from ledger_entries e where e.purchase_id = a.id) as entries,
           (select status from credit_holds h where h.purchase_id = a.id) as hold_status
    from purchase_attempts a where a.status = 'failed'`,
  )) {
    if (Number(r.purchases) !== 0 || Number(r.entries) !== 0)
      violations.push({
        invariant: 'I3',
        detail: `failed attempt ${r.id}: ${r.purchases} purchases, ${r.entries} entries`,
      });
    if (r.hold_status !== null && r.hold_status !== 'released')
      violations.push({ invariant: 'I3', detail: `failed attempt ${r.id}: hold ${r.hold_status}` });
    const live = (shipments.get(r.id) ?? []).filter((s) => s.status !== 'cancelled');
    if (live.length > 0)
      violations.push({ invariant: 'I3', detail: `failed attempt ${r.id}: ${live.length} live shipments` });
  }
  // I4: refunds never exceed the total, and refunded_amount agrees with refunds and entries.
  for (const r of await rows<{ id: string; total: string; refunded_amount: string; refunds: string; entries: string }>(
    ctx.database,
    sql`
    select p.id, p.total, p.refunded_amount,
           (select coalesce(sum(amount), 0) from refunds f where f.purchase_id = p.id) as refunds,
           (select coalesce(sum(amount), 0) from ledger_entries e where e.purchase_id = p.id and e.type = 'refund') as entries
    from purchases p`,
  )) {
    if (Number(r.refunds) > Number(r.total))
      violations.push({ invariant: 'I4', detail: `purchase ${r.id}: refunds ${r.refunds} > total ${r.total}` });
    if (Number(r.refunds) !== Number(r.refunded_amount) || Number(r.entries) !== Number(r.refunds)) {
      violations.push({
        invariant: 'I4',
        detail: `purchase ${r.id}: refunded_amount ${r.refunded_amount}, refunds ${r.refunds}, refund entries ${r.entries}`,
      });
    }
  }
  // I5: every saga has ended (checked after the test waited for its sagas).
  for (const r of await rows<{ id: string }>(
    ctx.database,
    sql`select id from purchase_attempts where status = 'pending'`,
  )) {
    violations.push({ invariant: 'I5', detail: `attempt ${r.id} is still pending` });
  }
  return violations;
}

/** I1–I5. */
export async function assertAllInvariants(ctx: InvariantContext): Promise<void> {
  expect([...(await ledgerViolations(ctx.database)), ...(await purchaseViolations(ctx))]).toEqual([]);
}
