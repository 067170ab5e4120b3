/**
 * Reconciliation: the set-based checks of one batch of accounts, and the run rows that record
 * them. A batch is a keyset range of `credit_accounts` by customer id, `(after, last]`; every
 * check of the batch is one SQL statement over that range (index range scans on
 * `customer_id`), run inside one REPEATABLE READ, READ ONLY transaction so the checks see one
 * snapshot while purchases keep committing. Nothing here changes money.
 */
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type {
  AccountCheckRow,
  AttemptBooks,
  BatchSnapshot,
  ChainBreakRow,
  Finding,
  PurchaseCheckRow,
  StaleHoldRow,
} from '../domain/reconciliation.js';
import type { Db, Executor } from './client.js';
import { appendEvent } from './events-repository.js';
import type { ReconciliationFinding } from '../contracts/reconciliation.js';
import {
  reconciliationRuns,
  type ReconciliationCounts,
  type ReconciliationRunRow,
  type ReconciliationStatus,
  type ReconciliationTrigger,
} from './schema.js';

/** Findings stored on a run row; beyond this only `finding_count` grows. */
export const MAX_STORED_FINDINGS = 1000;
/** Rows a single check reports per batch (a corrupt account can break thousands of entries). */
const MAX_ROWS_PER_CHECK = 200;

export function emptyCounts(): ReconciliationCounts {
  return {
    accounts: 0,
    entries: 0,
    pendingHolds: 0,
    purchases: 0,
    refunds: 0,
    shipmentsChecked: 0,
    holdsReleased: 0,
    errors: 0,
    warnings: 0,
    infos: 0,
  };
}

async function rowsOf<T>(db: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

export interface NewRun {
  readonly id: string;
  readonly trigger: ReconciliationTrigger;
  readonly workflowId: string;
  readonly executionId: string;
  readonly actor: string | null;
}

/** Creates the run of a workflow execution, once: a retried activity gets the same row. */
export async function beginRun(db: Db, run: NewRun): Promise<ReconciliationRunRow> {
  await db
    .insert(reconciliationRuns)
    .values({ ...run, counts: emptyCounts() })
    .onConflictDoNothing();
  const rows = await db
    .select()
    .from(reconciliationRuns)
    .where(eq(reconciliationRuns.executionId, run.executionId))
    .limit(1);
  const row = rows[0];
  if (!row) throw new Error(`reconciliation run of execution ${run.executionId} was not created`);
  return row;
}

export async function getRun(db: Executor, id: string): Promise<ReconciliationRunRow | null> {
  const rows = await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, id)).limit(1);
  return rows[0] ?? null;
}

/** Newest first, keyset on (started_at, id). */
export async function listRuns(
  db: Executor,
  before: { startedAt: Date; id: string } | null,
  limit: number,
): Promise<{ rows: ReconciliationRunRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(reconciliationRuns)
    .where(
      before
        ? or(
            lt(reconciliationRuns.startedAt, before.startedAt),
            and(eq(reconciliationRuns.startedAt, before.startedAt), lt(reconciliationRuns.id, before.id)),
          )
        : undefined,
    )
    .orderBy(desc(reconciliationRuns.startedAt), desc(reconciliationRuns.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

const num = (v: unknown): number => Number(v ?? 0);

/**
 * Reads everything one batch needs, in one snapshot: the accounts after `after` (at most
 * `limit`), their entry and pending-hold totals, the entries that break the balance_after
 * chain, their purchases with refund and entry totals, and their pending holds older than
 * `holdAgeMs`.
 */
export async function readBatch(
  db: Db,
  after: string | null,
  limit: number,
  holdAgeMs: number,
): Promise<BatchSnapshot> {
  return db.transaction(
    async (tx) => {
      const accounts = (
        await rowsOf<Record<string, unknown>>(
          tx,
          sql`
      with batch as (
        select customer_id, balance, held, version from credit_accounts
        where ${after === null ? sql`true` : sql`customer_id > ${after}`}
        order by customer_id limit ${limit}
      )
      select b.customer_id, b.balance, b.held, b.version,
             coalesce(e.total, 0) as entries_total, coalesce(e.n, 0) as entry_count, coalesce(e.max_version, 0) as max_version,
             coalesce(h.total, 0) as holds_total, coalesce(h.n, 0) as hold_count
      from batch b
      left join lateral (select sum(amount) as total, count(*) as n, max(account_version) as max_version
                         from ledger_entries where customer_id = b.customer_id) e on true
      left join lateral (select sum(amount) as total, count(*) as n
                         from credit_holds where customer_id = b.customer_id and status = 'pending') h on true
      order by b.customer_id`,
        )
      ).map((r): AccountCheckRow => ({
        customerId: String(r.customer_id),
        balance: num(r.balance),
        held: num(r.held),
        version: num(r.version),
        entriesTotal: num(r.entries_total),
        entryCount: num(r.entry_count),
        maxVersion: num(r.max_version),
        holdsTotal: num(r.holds_total),
        holdCount: num(r.hold_count),
      }));
      const last = accounts[accounts.length - 1];
      if (!last) return { accounts, chainBreaks: [], purchases: [], staleHolds: [] };
      const range = (column: string): ReturnType<typeof sql> =>
        sql`${after === null ? sql`true` : sql`${sql.raw(column)} > ${after}`} and ${sql.raw(column)} <= ${last.customerId}`;

      const chainBreaks = (
        await rowsOf<Record<string, unknown>>(
          tx,
          sql`
      select id, customer_id, account_version, amount, balance_after, prev_balance, prev_version from (
        select id, customer_id, account_version, amount, balance_after,
               lag(balance_after, 1, 0::bigint) over w as prev_balance,
               lag(account_version, 1, 0) over w as prev_version
        from ledger_entries where ${range('customer_id')}
        window w as (partition by customer_id order by account_version)
      ) c
      where balance_after <> prev_balance + amount or account_version <> prev_version + 1
      order by customer_id, account_version
      limit ${MAX_ROWS_PER_CHECK}`,
        )
      ).map((r): ChainBreakRow => ({
        id: String(r.id),
        customerId: String(r.customer_id),
        accountVersion: num(r.account_version),
        amount: num(r.amount),
        balanceAfter: num(r.balance_after),
        prevBalance: num(r.prev_balance),
        prevVersion: num(r.prev_version),
      }));

      const purchases = (
        await rowsOf<Record<string, unknown>>(
          tx,
          sql`
      select p.id, p.customer_id, p.total, p.refunded_amount, p.shipment_id, (extract(epoch from p.created_at) * 1000)::bigint as created_ms,
             coalesce(r.total, 0) as refunds_total, coalesce(r.n, 0) as refund_count,
             coalesce(e.purchase_total, 0) as purchase_entries_total, coalesce(e.purchase_n, 0) as purchase_entry_count,
             coalesce(e.refund_total, 0) as refund_entries_total
      from purchases p
      left join lateral (select sum(amount) as total, count(*) as n from refunds where purchase_id = p.id) r on true
      left join lateral (select sum(amount) filter (where type = 'purchase') as purchase_total,
                                count(*) filter (where type = 'purchase') as purchase_n,
                                sum(amount) filter (where type = 'refund') as refund_total
                         from ledger_entries where purchase_id = p.id) e on true
      where ${range('p.customer_id')}
      order by p.customer_id, p.id`,
        )
      ).map((r): PurchaseCheckRow => ({
        id: String(r.id),
        customerId: String(r.customer_id),
        total: num(r.total),
        refundedAmount: num(r.refunded_amount),
        shipmentId: String(r.shipment_id),
        refundsTotal: num(r.refunds_total),
        refundCount: num(r.refund_count),
        purchaseEntriesTotal: num(r.purchase_entries_total),
        purchaseEntryCount: num(r.purchase_entry_count),
        refundEntriesTotal: num(r.refund_entries_total),
        createdAt: new Date(num(r.created_ms)),
      }));

      const staleHolds = (
        await rowsOf<Record<string, unknown>>(
          tx,
          sql`
      select h.id, h.customer_id, h.purchase_id, h.workflow_id, h.amount, h.currency,
             to_char(h.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
             exists (select 1 from purchases p where p.id = h.purchase_id) as has_purchase
      from credit_holds h
      where h.status = 'pending' and ${range('h.customer_id')}
        and h.created_at < clock_timestamp() - make_interval(secs => ${holdAgeMs / 1000}::double precision)
      order by h.customer_id, h.created_at
      limit ${MAX_ROWS_PER_CHECK}`,
        )
      ).map((r): StaleHoldRow => ({
        id: String(r.id),
        customerId: String(r.customer_id),
        purchaseId: String(r.purchase_id),
        workflowId: typeof r.workflow_id === 'string' ? r.workflow_id : null,
        amount: num(r.amount),
        currency: String(r.currency),
        createdAt: String(r.created_at),
        hasPurchase: r.has_purchase === true,
      }));

      return { accounts, chainBreaks, purchases, staleHolds };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Failed attempts one batch looks up on the platform at most; beyond it a finding says so. */
export const MAX_FAILED_ATTEMPTS_PER_BATCH = 1000;

/**
 * A failed purchase attempt that may have left a shipment behind: it failed after its credit
 * was reserved (it has a hold, now released), or with a shipping failure code (a free purchase
 * has no hold). Its id is the purchase id, the Idempotency-Key of its CreateShipment.
 */
export interface FailedAttemptRow {
  readonly id: string;
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  /** The problem `code` the caller got (shipment_failed, purchase_cancelled, …). */
  readonly code: string | null;
  /** Why its hold was released (shipment_rejected, shipment_failed, reconciliation_orphan, …); null without a hold. */
  readonly holdResolution: string | null;
  readonly createdAt: string;
}

/** Failure codes of attempts that reached CreateShipment (a free purchase has no hold to tell). */
const SHIPPING_FAILURE_CODES = ['shipment_failed', 'purchase_cancelled'] as const;

/**
 * The failed attempts of a batch's customer range `(after, last]` (`last` null: open-ended, for
 * the final batch) created within `lookbackMs` that got as far as shipping, newest first, at
 * most `limit` (`truncated` when there are more). A range scan of
 * `purchase_attempts_customer_created_idx` (customer_id, created_at, id) per batch.
 */
export async function readFailedAttempts(
  db: Executor,
  range: { readonly after: string | null; readonly last: string | null },
  lookbackMs: number,
  limit: number,
): Promise<{ rows: FailedAttemptRow[]; truncated: boolean }> {
  const codes = sql.join(
    SHIPPING_FAILURE_CODES.map((c) => sql`${c}`),
    sql`, `,
  );
  const rows = (
    await rowsOf<Record<string, unknown>>(
      db,
      sql`
    select a.id, a.customer_id, a.product_id, a.quantity, a.error->>'code' as code, h.resolution as hold_resolution,
           to_char(a.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
    from purchase_attempts a
    left join credit_holds h on h.purchase_id = a.id
    where a.status = 'failed'
      and ${range.after === null ? sql`true` : sql`a.customer_id > ${range.after}`}
      and ${range.last === null ? sql`true` : sql`a.customer_id <= ${range.last}`}
      and a.created_at >= clock_timestamp() - make_interval(secs => ${lookbackMs / 1000}::double precision)
      and (h.purchase_id is not null or a.error->>'code' in (${codes}))
    order by a.created_at desc, a.id desc
    limit ${limit + 1}`,
    )
  ).map((r): FailedAttemptRow => ({
    id: String(r.id),
    customerId: String(r.customer_id),
    productId: String(r.product_id),
    quantity: num(r.quantity),
    code: typeof r.code === 'string' ? r.code : null,
    holdResolution: typeof r.hold_resolution === 'string' ? r.hold_resolution : null,
    createdAt: String(r.created_at),
  }));
  return { rows: rows.slice(0, limit), truncated: rows.length > limit };
}

/** Whether any account sorts after `customerId` (an index probe): false in the run's last batch. */
export async function hasAccountsAfter(db: Executor, customerId: string): Promise<boolean> {
  const [row] = await rowsOf<Record<string, unknown>>(
    db,
    sql`select exists (select 1 from credit_accounts where customer_id > ${customerId}) as more`,
  );
  return row?.more === true;
}

export async function attemptBooks(db: Executor, purchaseId: string): Promise<AttemptBooks> {
  const [row] = await rowsOf<Record<string, unknown>>(
    db,
    sql`
    select (select status from purchase_attempts where id = ${purchaseId}) as attempt_status,
           exists (select 1 from purchases where id = ${purchaseId}) as has_purchase,
           (select count(*) from ledger_entries where purchase_id = ${purchaseId}) as ledger_entries,
           (select status from credit_holds where purchase_id = ${purchaseId}) as hold_status`,
  );
  return {
    attemptStatus: typeof row?.attempt_status === 'string' ? row.attempt_status : null,
    hasPurchase: row?.has_purchase === true,
    ledgerEntries: num(row?.ledger_entries),
    holdStatus: typeof row?.hold_status === 'string' ? row.hold_status : null,
  };
}

/** The customer a finding is about, when its entity names an account. */
function customerOfFinding(finding: Finding): string | null {
  return finding.entity.startsWith('account:') ? finding.entity.slice('account:'.length) : null;
}

/** A finding as the reconciliation API shows it (GET /v1/reconciliation/runs/{id}). */
export function toFinding(finding: Finding): ReconciliationFinding {
  return {
    severity: finding.severity,
    kind: finding.kind,
    entity: finding.entity,
    expected: finding.expected,
    actual: finding.actual,
    detail: finding.detail,
  };
}

export interface BatchRecord {
  readonly after: string | null;
  readonly next: string;
  readonly counts: ReconciliationCounts;
  readonly findings: readonly Finding[];
}

function addCounts(a: ReconciliationCounts, b: ReconciliationCounts): ReconciliationCounts {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof ReconciliationCounts)[]) out[key] = (a[key] ?? 0) + b[key];
  return out;
}

/**
 * Records a batch: moves the cursor from `after` to `next`, adds the counts, appends the
 * findings (up to the cap). Only when the cursor is still at `after`: a retried or duplicate
 * batch records nothing. Returns whether it recorded.
 */
export async function recordBatch(db: Db, runId: string, batch: BatchRecord): Promise<boolean> {
  return db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(reconciliationRuns)
      .where(eq(reconciliationRuns.id, runId))
      .for('update')
      .limit(1);
    const run = locked[0];
    if (!run) throw new Error(`no reconciliation run ${runId}`);
    if (run.status !== 'running' || run.cursor !== batch.after) return false;
    const room = Math.max(0, MAX_STORED_FINDINGS - run.findings.length);
    await tx
      .update(reconciliationRuns)
      .set({
        cursor: batch.next,
        counts: addCounts(run.counts, batch.counts),
        findings: [...run.findings, ...batch.findings.slice(0, room)],
        findingCount: run.findingCount + batch.findings.length,
      })
      .where(eq(reconciliationRuns.id, runId));
    // Outbox, last before commit: every finding of the batch (also those past the stored cap).
    for (const finding of batch.findings) {
      await appendEvent(tx, {
        type: 'reconciliation.finding',
        customerId: customerOfFinding(finding),
        data: toFinding(finding),
      });
    }
    return true;
  });
}

export async function finishRun(
  db: Db,
  runId: string,
  status: Exclude<ReconciliationStatus, 'running'>,
  error: string | null,
): Promise<ReconciliationRunRow> {
  const updated = await db
    .update(reconciliationRuns)
    .set({ status, error, finishedAt: sql`clock_timestamp()` })
    .where(and(eq(reconciliationRuns.id, runId), eq(reconciliationRuns.status, 'running')))
    .returning();
  const row = updated[0] ?? (await getRun(db, runId));
  if (!row) throw new Error(`no reconciliation run ${runId}`);
  return row;
}
