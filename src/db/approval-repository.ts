/**
 * Approvals of large credit changes (maker–checker). The status leaves `pending` exactly once,
 * in a transaction that first locks the approval row (`FOR UPDATE`): racing decisions queue on
 * the lock and the later ones find the approval decided. An approval's entry is posted in the
 * same transaction as its status change, with a ledger idempotency key derived from the
 * approval, so whatever retries or races there are, one approval posts at most one entry.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { approvalEntryKey } from '../domain/approval.js';
import type { Executor } from './client.js';
import { getAccount, postEntry } from './credit-repository.js';
import { appendEvent } from './events-repository.js';
import { toApproval, toLedgerEntry } from './resource-views.js';
import {
  approvals,
  ledgerEntries,
  type ApprovalKind,
  type ApprovalRow,
  type ApprovalStatus,
  type CreditAccountRow,
  type LedgerEntryRow,
} from './schema.js';

export interface NewApproval {
  readonly id: string;
  readonly customerId: string;
  readonly kind: ApprovalKind;
  readonly amount: number;
  readonly currency: string;
  readonly reason: string;
  readonly note: string | null;
  readonly requestedBy: string;
  readonly workflowId: string;
  readonly idempotencyScope: string;
  readonly idempotencyKey: string;
  readonly requestId: string | null;
  readonly expiresAt: Date;
}

/**
 * Records the request once; a retried call returns the row the first one wrote. Run it in a
 * transaction: the outbox event `approval.requested` belongs in the same one, written only
 * when this call inserted the row.
 */
export async function insertApproval(tx: Executor, input: NewApproval): Promise<ApprovalRow> {
  const inserted = await tx
    .insert(approvals)
    .values({ ...input })
    .onConflictDoNothing({ target: approvals.id })
    .returning();
  const created = inserted[0];
  if (created) {
    await appendEvent(tx, { type: 'approval.requested', customerId: created.customerId, data: toApproval(created) });
    return created;
  }
  const row = await getApproval(tx, input.id);
  if (!row) throw new Error(`approval ${input.id} vanished after its insert`);
  return row;
}

export async function getApproval(db: Executor, id: string): Promise<ApprovalRow | null> {
  const rows = await db.select().from(approvals).where(eq(approvals.id, id)).limit(1);
  return rows[0] ?? null;
}

export interface ApprovalFilter {
  readonly status?: ApprovalStatus | undefined;
  readonly customerId?: string | undefined;
  readonly before: { readonly createdAt: Date; readonly id: string } | null;
  readonly limit: number;
}

/** Newest first, keyset on (created_at, id). */
export async function listApprovals(
  db: Executor,
  filter: ApprovalFilter,
): Promise<{ rows: ApprovalRow[]; hasMore: boolean }> {
  const conditions: (SQL | undefined)[] = [
    filter.status ? eq(approvals.status, filter.status) : undefined,
    filter.customerId ? eq(approvals.customerId, filter.customerId) : undefined,
    filter.before
      ? sql`(${approvals.createdAt}, ${approvals.id}) < (${filter.before.createdAt.toISOString()}::timestamptz, ${filter.before.id})`
      : undefined,
  ];
  const rows = await db
    .select()
    .from(approvals)
    .where(and(...conditions))
    .orderBy(sql`${approvals.createdAt} desc nulls last`, sql`${approvals.id} desc nulls last`)
    .limit(filter.limit + 1);
  return { rows: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
}

async function lockApproval(tx: Executor, id: string): Promise<ApprovalRow> {
  const rows = await tx.select().from(approvals).where(eq(approvals.id, id)).for('update').limit(1);
  const row = rows[0];
  if (!row) throw new Error(`approval ${id} does not exist`);
  return row;
}

/** Marks a pending approval whose deadline has passed as expired (inside the caller's transaction). */
async function expireIfDue(tx: Executor, row: ApprovalRow): Promise<ApprovalRow> {
  if (row.status !== 'pending') return row;
  const updated = await tx
    .update(approvals)
    .set({ status: 'expired' })
    .where(
      and(eq(approvals.id, row.id), eq(approvals.status, 'pending'), sql`${approvals.expiresAt} <= clock_timestamp()`),
    )
    .returning();
  const expired = updated[0];
  if (!expired) return row;
  // Outbox: the callers write nothing after an approval that is no longer pending.
  await appendEvent(tx, { type: 'approval.decided', customerId: expired.customerId, data: toApproval(expired) });
  return expired;
}

export interface DecisionInput {
  readonly approvalId: string;
  readonly decidedBy: string;
  readonly note: string | null;
  readonly requestId: string | null;
}

export type ApproveResult =
  | {
      readonly status: 'approved';
      readonly approval: ApprovalRow;
      readonly entry: LedgerEntryRow;
      readonly account: CreditAccountRow;
    }
  /** Decided by someone else already, or expired: nothing was written by this call. */
  | { readonly status: 'not_pending'; readonly approval: ApprovalRow };

/**
 * Approves and posts, in one transaction: lock the approval, check it is still pending and
 * not past its deadline, post the entry (actor = requester, approved_by = the admin; a
 * deduction that no longer fits throws `insufficient_credit` and rolls everything back, so the
 * approval stays pending), mark it approved with the entry. A retry of the same decision
 * after its commit returns the posted entry.
 */
export async function approveAndPost(tx: Executor, input: DecisionInput): Promise<ApproveResult> {
  const locked = await expireIfDue(tx, await lockApproval(tx, input.approvalId));
  if (locked.status === 'approved' && locked.decidedBy === input.decidedBy && locked.entryId) {
    const entry = (await tx.select().from(ledgerEntries).where(eq(ledgerEntries.id, locked.entryId)).limit(1))[0];
    const account = await getAccount(tx, locked.customerId);
    if (entry && account) return { status: 'approved', approval: locked, entry, account };
  }
  if (locked.status !== 'pending') return { status: 'not_pending', approval: locked };
  const posted = await postEntry(tx, {
    customerId: locked.customerId,
    type: locked.kind,
    amount: locked.kind === 'grant' ? locked.amount : -locked.amount,
    currency: locked.currency,
    reason: locked.reason,
    note: locked.note,
    actor: locked.requestedBy,
    approvedBy: input.decidedBy,
    workflowId: locked.workflowId,
    requestId: input.requestId ?? locked.requestId,
    idempotencyKey: approvalEntryKey(locked.id),
  });
  const updated = await tx
    .update(approvals)
    .set({
      status: 'approved',
      decidedBy: input.decidedBy,
      decidedAt: sql`clock_timestamp()`,
      decisionNote: input.note,
      entryId: posted.entry.id,
    })
    .where(and(eq(approvals.id, locked.id), eq(approvals.status, 'pending')))
    .returning();
  const approval = updated[0];
  if (!approval) throw new Error(`approval ${locked.id} changed under its row lock`);
  await appendEvent(tx, {
    type: posted.entry.type === 'grant' ? 'credit.granted' : 'credit.deducted',
    customerId: posted.entry.customerId,
    data: toLedgerEntry(posted.entry),
  });
  await appendEvent(tx, { type: 'approval.decided', customerId: approval.customerId, data: toApproval(approval) });
  return { status: 'approved', approval, entry: posted.entry, account: posted.account };
}

/** Rejects a pending approval; returns the row as it is afterwards (decided by whoever came first). */
export async function rejectApproval(tx: Executor, input: DecisionInput): Promise<ApprovalRow> {
  const locked = await expireIfDue(tx, await lockApproval(tx, input.approvalId));
  if (locked.status !== 'pending') return locked;
  const updated = await tx
    .update(approvals)
    .set({
      status: 'rejected',
      decidedBy: input.decidedBy,
      decidedAt: sql`clock_timestamp()`,
      decisionNote: input.note,
    })
    .where(and(eq(approvals.id, locked.id), eq(approvals.status, 'pending')))
    .returning();
  const rejected = updated[0];
  if (!rejected) return locked;
  await appendEvent(tx, { type: 'approval.decided', customerId: rejected.customerId, data: toApproval(rejected) });
  return rejected;
}

/** The workflow's timer fired: a still-pending approval expires. Returns the row afterwards. */
export async function expireApproval(tx: Executor, approvalId: string): Promise<ApprovalRow> {
  const locked = await lockApproval(tx, approvalId);
  if (locked.status !== 'pending') return locked;
  const updated = await tx
    .update(approvals)
    .set({ status: 'expired' })
    .where(and(eq(approvals.id, approvalId), eq(approvals.status, 'pending')))
    .returning();
  const expired = updated[0];
  if (!expired) return locked;
  await appendEvent(tx, { type: 'approval.decided', customerId: expired.customerId, data: toApproval(expired) });
  return expired;
}
