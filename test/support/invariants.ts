/**
 * The money invariants of architecture.md, checked against the database after every test
 * that moves money. Each returns the violations it found; `assertLedgerInvariants` fails
 * the test with all of them.
 */
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
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
  for (const r of await rows<{ customer_id: string; balance: string; entries: string; held: string; holds: string }>(database, sql`
    select a.customer_id, a.balance, a.held,
           coalesce((select sum(amount) from ledger_entries e where e.customer_id = a.customer_id), 0) as entries,
           coalesce((select sum(amount) from credit_holds h where h.customer_id = a.customer_id and h.status = 'pending'), 0) as holds
    from credit_accounts a`)) {
    if (Number(r.balance) !== Number(r.entries)) violations.push({ invariant: 'I1', detail: `${r.customer_id}: balance ${r.balance} != sum of entries ${r.entries}` });
    if (Number(r.held) !== Number(r.holds)) violations.push({ invariant: 'I1', detail: `${r.customer_id}: held ${r.held} != pending holds ${r.holds}` });
  }
  // I2: no balance or available balance below zero, at any point of the history.
  for (const r of await rows<{ customer_id: string; balance: string; held: string }>(database, sql`
    select customer_id, balance, held from credit_accounts where balance < 0 or held < 0 or balance - held < 0`)) {
    violations.push({ invariant: 'I2', detail: `${r.customer_id}: balance ${r.balance}, held ${r.held}` });
  }
  for (const r of await rows<{ id: string; balance_after: string }>(database, sql`select id, balance_after from ledger_entries where balance_after < 0`)) {
    violations.push({ invariant: 'I2', detail: `entry ${r.id} left balance ${r.balance_after}` });
  }
  // The chain: each entry's balance_after = previous balance_after + amount, versions gap-free.
  for (const r of await rows<{ id: string; customer_id: string }>(database, sql`
    select id, customer_id from (
      select id, customer_id, account_version, balance_after, amount,
             lag(balance_after, 1, 0::bigint) over w as prev_balance,
             lag(account_version, 1, 0) over w as prev_version
      from ledger_entries window w as (partition by customer_id order by account_version)
    ) c where balance_after <> prev_balance + amount or account_version <> prev_version + 1`)) {
    violations.push({ invariant: 'I1', detail: `entry ${r.id} of ${r.customer_id} breaks the balance_after chain` });
  }
  return violations;
}

export async function assertLedgerInvariants(database: Database): Promise<void> {
  expect(await ledgerViolations(database)).toEqual([]);
}
