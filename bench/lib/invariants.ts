/**
 * The money invariants (I1–I3, I5; README, "Money invariants"), checked after the purchase scenarios for
 * the customers they bought for (the seeded listing and ledger data is synthetic and has no
 * holds, shipments or purchase entries behind it).
 */
import type postgres from 'postgres';

export interface InvariantReport {
  readonly accounts: number;
  readonly purchases: number;
  readonly failedAttempts: number;
  readonly shipments: number;
  readonly violations: readonly string[];
}

interface Shipment {
  readonly id: string;
  readonly status: string;
  readonly idempotencyKey?: string;
}

export async function checkInvariants(
  sql: postgres.Sql,
  customers: readonly string[],
  platformUrl: string,
): Promise<InvariantReport> {
  const violations: string[] = [];
  const ids = sql.array([...customers]);
  const note = (v: string): void => {
    if (violations.length < 50) violations.push(v);
  };

  // I1 + I2: balance = sum of entries, held = open holds, nothing negative.
  const accounts = await sql<{ customer_id: string; balance: string; held: string; entries: string; holds: string }[]>`
    select a.customer_id, a.balance, a.held,
           coalesce((select sum(amount) from ledger_entries e where e.customer_id = a.customer_id), 0) as entries,
           coalesce((select sum(amount) from credit_holds h where h.customer_id = a.customer_id and h.status = 'pending'), 0) as holds
    from credit_accounts a where a.customer_id = any(${ids}::text[])`;
  for (const a of accounts) {
    if (a.balance !== a.entries) note(`I1 ${a.customer_id}: balance ${a.balance} != entries ${a.entries}`);
    if (a.held !== a.holds) note(`I1 ${a.customer_id}: held ${a.held} != pending holds ${a.holds}`);
    if (Number(a.balance) < 0 || Number(a.held) < 0 || Number(a.balance) < Number(a.held))
      note(`I2 ${a.customer_id}: balance ${a.balance}, held ${a.held}`);
  }
  // The chain: versions 1..N without gaps, balance_after the running sum.
  const broken = await sql<{ id: string }[]>`
    select id from (
      select id, account_version, balance_after, amount,
             lag(balance_after, 1, 0::bigint) over w as prev_balance, lag(account_version, 1, 0) over w as prev_version
      from ledger_entries where customer_id = any(${ids}::text[])
      window w as (partition by customer_id order by account_version)
    ) c where balance_after <> prev_balance + amount or account_version <> prev_version + 1 or balance_after < 0 limit 10`;
  for (const b of broken) note(`I1 entry ${b.id} breaks its account's chain`);

  // I3: one purchase entry of -total and a captured hold per purchase; one shipment each.
  const purchases = await sql<
    { id: string; total: string; entries: string; entry_sum: string; hold_status: string | null }[]
  >`
    select p.id, p.total,
           (select count(*) from ledger_entries e where e.purchase_id = p.id and e.type = 'purchase') as entries,
           (select coalesce(sum(amount), 0) from ledger_entries e where e.purchase_id = p.id and e.type = 'purchase') as entry_sum,
           (select status from credit_holds h where h.purchase_id = p.id) as hold_status
    from purchases p where p.customer_id = any(${ids}::text[])`;
  const res = await fetch(`${platformUrl}/shipments`, { signal: AbortSignal.timeout(30_000) });
  const shipments = ((await res.json()) as { data: Shipment[] }).data;
  const byKey = new Map<string, Shipment[]>();
  for (const s of shipments) byKey.set(s.idempotencyKey ?? '', [...(byKey.get(s.idempotencyKey ?? '') ?? []), s]);
  for (const p of purchases) {
    const expected = Number(p.total) > 0 ? 1 : 0;
    if (Number(p.entries) !== expected || Number(p.entry_sum) !== -Number(p.total))
      note(`I3 purchase ${p.id}: ${p.entries} purchase entries summing ${p.entry_sum} for total ${p.total}`);
    if (Number(p.total) > 0 && p.hold_status !== 'captured')
      note(`I3 purchase ${p.id}: hold ${p.hold_status ?? 'missing'}`);
    const found = byKey.get(p.id)?.length ?? 0;
    if (found !== 1) note(`I3 purchase ${p.id}: ${found} shipments`);
  }
  const failed = await sql<{ id: string; purchases: string; entries: string; hold_status: string | null }[]>`
    select a.id,
           (select count(*) from purchases p where p.id = a.id) as purchases,
           (select count(*) from ledger_entries e where e.purchase_id = a.id) as entries,
           (select status from credit_holds h where h.purchase_id = a.id) as hold_status
    from purchase_attempts a where a.status = 'failed' and a.customer_id = any(${ids}::text[])`;
  for (const f of failed) {
    if (Number(f.purchases) !== 0 || Number(f.entries) !== 0)
      note(`I3 failed attempt ${f.id}: ${f.purchases} purchases, ${f.entries} entries`);
    if (f.hold_status !== null && f.hold_status !== 'released')
      note(`I3 failed attempt ${f.id}: hold ${f.hold_status}`);
    const liveShipments = (byKey.get(f.id) ?? []).filter((s) => s.status !== 'cancelled').length;
    if (liveShipments > 0) note(`I3 failed attempt ${f.id}: ${liveShipments} live shipments`);
  }
  // I5: every saga ended.
  const [pending] = await sql<
    { n: string }[]
  >`select count(*) as n from purchase_attempts where status = 'pending' and customer_id = any(${ids}::text[])`;
  if (Number(pending?.n ?? 0) > 0) note(`I5 ${pending?.n} attempts still pending`);

  return {
    accounts: accounts.length,
    purchases: purchases.length,
    failedAttempts: failed.length,
    shipments: shipments.length,
    violations,
  };
}
