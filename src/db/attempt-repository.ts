/**
 * Purchase attempts as customer service reads them: the list with what a pending attempt
 * holds, and the record of an admin's cancel of a stuck saga.
 */
import { and, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';
import { creditHolds, purchaseAttempts, type AttemptStatus, type PurchaseAttemptRow } from './schema.js';

export interface AttemptFilter {
  readonly customerId?: string | undefined;
  readonly status?: AttemptStatus | undefined;
  readonly createdFrom?: Date | undefined;
  readonly createdTo?: Date | undefined;
  /** Keyset position: rows strictly older than (createdAt, id); `createdAt` as Postgres wrote it (microseconds). */
  readonly before?: { readonly createdAt: string; readonly id: string } | null;
  readonly limit: number;
}

export interface AttemptListRow {
  readonly attempt: PurchaseAttemptRow;
  /** The pending hold of the attempt, if it holds credit now. */
  readonly holdAmount: number | null;
  readonly holdCurrency: string | null;
  /** `created_at` in full (microsecond) precision, for the cursor: a JS Date keeps milliseconds only. */
  readonly cursorTime: string;
}

/** Attempts with their pending hold joined (one unique-index probe per row, `credit_holds_purchase_uq`), newest first. */
async function selectAttempts(db: Executor, where: SQL | undefined, limit: number): Promise<AttemptListRow[]> {
  return db
    .select({
      attempt: purchaseAttempts,
      holdAmount: creditHolds.amount,
      holdCurrency: creditHolds.currency,
      cursorTime: sql<string>`to_char(${purchaseAttempts.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(purchaseAttempts)
    .leftJoin(creditHolds, and(eq(creditHolds.purchaseId, purchaseAttempts.id), eq(creditHolds.status, 'pending')))
    .where(where)
    .orderBy(sql`${purchaseAttempts.createdAt} desc nulls last`, sql`${purchaseAttempts.id} desc nulls last`)
    .limit(limit);
}

/**
 * Newest first. Each filter walks one of the (filter, created_at, id) indexes
 * (`purchase_attempts_customer_created_idx`, `_status_created_idx`, `_created_idx`); the
 * keyset is a row comparison so it is an index condition (see `listPurchases`).
 */
export async function listAttempts(
  db: Executor,
  filter: AttemptFilter,
): Promise<{ rows: AttemptListRow[]; hasMore: boolean }> {
  const a = purchaseAttempts;
  const conditions: (SQL | undefined)[] = [
    filter.customerId ? eq(a.customerId, filter.customerId) : undefined,
    filter.status ? eq(a.status, filter.status) : undefined,
    filter.createdFrom ? gte(a.createdAt, filter.createdFrom) : undefined,
    filter.createdTo ? lt(a.createdAt, filter.createdTo) : undefined,
    filter.before
      ? sql`(${a.createdAt}, ${a.id}) < (${filter.before.createdAt}::timestamptz, ${filter.before.id})`
      : undefined,
  ];
  const rows = await selectAttempts(db, and(...conditions), filter.limit + 1);
  return { rows: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
}

/** One attempt with its pending hold. */
export async function getAttemptRow(db: Executor, id: string): Promise<AttemptListRow | null> {
  const rows = await selectAttempts(db, eq(purchaseAttempts.id, id), 1);
  return rows[0] ?? null;
}

/**
 * Records who asked to cancel the attempt's saga and why. The first request is the one the
 * saga acts on (its update handler keeps the first), so the first one recorded stays.
 */
export async function recordCancelRequest(db: Executor, id: string, actor: string, reason: string): Promise<void> {
  await db
    .update(purchaseAttempts)
    .set({ cancelRequestedBy: actor, cancelReason: reason, cancelRequestedAt: sql`clock_timestamp()` })
    .where(and(eq(purchaseAttempts.id, id), isNull(purchaseAttempts.cancelRequestedAt)));
}

/**
 * How many purchase attempts created after `since` are still pending, counted up to `cap`
 * (the admission bound: past it the exact number does not matter). An index-only walk of
 * `purchase_attempts_pending_idx` (created_at, partial on status = 'pending'), so its cost is
 * bounded by `cap` whatever the table holds.
 */
export async function countPendingAttempts(db: Executor, since: Date, cap: number): Promise<number> {
  const result = await db.execute(
    sql`select count(*)::int as n from (select 1 from ${purchaseAttempts} where ${purchaseAttempts.status} = 'pending' and ${purchaseAttempts.createdAt} > ${since.toISOString()}::timestamptz limit ${cap}) t`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { n: unknown }[];
  return Number(rows[0]?.n ?? 0);
}
