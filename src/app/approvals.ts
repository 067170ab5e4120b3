/**
 * Approvals of large credit changes (maker–checker), as use cases.
 *
 * The maker side: a support grant or deduction at or above
 * APPROVAL_THRESHOLD becomes a `creditApproval` workflow instead of an entry.
 *
 * The requester's Idempotency-Key is claimed first and fixes the approval id; the workflow
 * (`approval-<id>`) is started together with its `recorded` Update (update-with-start,
 * `USE_EXISTING`), so the 202 is sent only once the `approvals` row exists, and a replay — also
 * one after this process died between claim and start — attaches to the same execution.
 * A replay answers from the row: 202 while pending, then the outcome (201 with the entry,
 * 409 `approval_rejected` / `approval_expired`), which is stored against the key once final.
 *
 * The checker side: an admin approves or rejects through the workflow's Updates; the checks
 * the workflow's validator makes are answered from the database first when they already fail.
 */
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import type {
  Approval,
  ApprovalDecision,
  ApprovalRequested,
  ApprovalStatus,
  CreditMovementRequest,
  CreditMovementResponse,
} from '../contracts/index.js';
import { getApproval, listApprovals } from '../db/approval-repository.js';
import { getAccount } from '../db/credit-repository.js';
import { claimKey, storeResponse, type IdempotencyScope } from '../db/idempotency-repository.js';
import { toApproval } from '../db/resource-views.js';
import { ledgerEntries, type ApprovalRow, type IdempotencyKeyRow } from '../db/schema.js';
import { approvalWorkflowId, isApprovalId, type ApprovalKind } from '../domain/approval.js';
import { DomainError, isErrorCode, problemBody, type ProblemExtensions } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { approveUpdate, creditApproval, recordedUpdate, rejectUpdate } from '../../workflows/index.js';
import type { DecisionRequest } from '../../workflows/approval.js';
import { ApprovalStatusKey, CustomerIdKey } from '../../workflows/search-attributes.js';
import { toCreditBalance, toLedgerEntry } from './credit-views.js';
import type { Actor, AppDeps } from './deps.js';
import { assertSameRequest, storedAnswer, type Answer } from './idempotent.js';

/** How long the request waits for the workflow to record the approval before answering 503 (retry with the same key). */
const RECORD_TIMEOUT_MS = 10_000;

export interface ApprovalRequestContext {
  readonly kind: ApprovalKind;
  readonly customerId: string;
  readonly body: CreditMovementRequest;
  readonly scope: IdempotencyScope;
  /** The requester: recorded as the approval's `requestedBy` and, once approved, the entry's actor. */
  readonly caller: Actor;
  readonly requestId: string;
  /** The stored key of an earlier request with the same key, if any (a replay). */
  readonly previous: IdempotencyKeyRow | null;
}

/** True when an earlier request with this key became an approval: the replay is answered from it. */
export function isApprovalReplay(previous: IdempotencyKeyRow | null): boolean {
  return previous !== null && isApprovalId(previous.resourceId);
}

/** The final answer to the requester for a decided approval, or null while it is pending. */
export async function approvalOutcome(deps: AppDeps, row: ApprovalRow, requestId?: string): Promise<Answer | null> {
  const { db } = deps.database;
  switch (row.status) {
    case 'pending':
      return null;
    case 'approved': {
      const entry = row.entryId
        ? (await db.select().from(ledgerEntries).where(eq(ledgerEntries.id, row.entryId)).limit(1))[0]
        : undefined;
      if (!entry) throw new Error(`approval ${row.id} is approved but its entry ${row.entryId ?? '(none)'} is missing`);
      const body: CreditMovementResponse = {
        entry: toLedgerEntry(entry),
        credit: toCreditBalance(row.customerId, await getAccount(db, row.customerId), deps.config.defaultCurrency),
      };
      return { status: 201, body };
    }
    case 'rejected':
      return {
        status: 409,
        body: problemBody(
          'approval_rejected',
          `${row.decidedBy ?? 'An admin'} rejected this ${row.kind}: ${row.decisionNote ?? '(no note)'}`,
          {
            approvalId: row.id,
            decidedBy: row.decidedBy,
            decisionNote: row.decisionNote,
          },
          requestId,
        ),
      };
    case 'expired':
      return {
        status: 409,
        body: problemBody(
          'approval_expired',
          `Nobody decided this ${row.kind} before ${row.expiresAt.toISOString()}; nothing was posted. Request it again with a new key.`,
          {
            approvalId: row.id,
            expiresAt: row.expiresAt.toISOString(),
          },
          requestId,
        ),
      };
  }
}

/** Stores a decided approval's outcome against the requester's key (first writer wins). */
export async function storeApprovalOutcome(deps: AppDeps, row: ApprovalRow): Promise<Answer | null> {
  const outcome = await approvalOutcome(deps, row);
  if (outcome)
    await storeResponse(deps.database.db, row.idempotencyScope, row.idempotencyKey, outcome.status, outcome.body);
  return outcome;
}

function pendingAnswer(row: Pick<ApprovalRow, 'id' | 'expiresAt'>, replayed: boolean): Answer {
  const body: ApprovalRequested = { approvalId: row.id, status: 'pending', expiresAt: row.expiresAt.toISOString() };
  return { status: 202, body, replayed, location: `/v1/approvals/${row.id}` };
}

/** Refuses up front what could never be approved (a currency the account is not kept in, a deduction beyond `available`). */
async function assertPlausible(deps: AppDeps, ctx: ApprovalRequestContext): Promise<void> {
  const account = await getAccount(deps.database.db, ctx.customerId);
  if (account && account.currency !== ctx.body.currency) {
    throw new DomainError(
      'currency_mismatch',
      `The account is kept in ${account.currency}, not ${ctx.body.currency}.`,
      { accountCurrency: account.currency },
    );
  }
  const available = account ? account.balance - account.held : 0;
  if (ctx.kind === 'deduction' && ctx.body.amount > available) {
    throw new DomainError(
      'insufficient_credit',
      `Available credit ${available} is less than the ${ctx.body.amount} required.`,
      {
        available,
        required: ctx.body.amount,
        currency: ctx.body.currency,
      },
    );
  }
}

/** Starts (or attaches to) the approval's workflow and waits until the request is recorded. */
async function startApproval(deps: AppDeps, approvalId: string, ctx: ApprovalRequestContext): Promise<ApprovalRow> {
  const workflowId = approvalWorkflowId(approvalId);
  const operation = new WithStartWorkflowOperation(creditApproval, {
    workflowId,
    taskQueue: deps.config.temporal.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        approvalId,
        customerId: ctx.customerId,
        kind: ctx.kind,
        amount: ctx.body.amount,
        currency: ctx.body.currency,
        reason: ctx.body.reason,
        note: ctx.body.note ?? null,
        requestedBy: ctx.caller.name,
        requestId: ctx.requestId,
        ttlMs: deps.config.approvals.ttlMs,
        idempotencyScope: ctx.scope.scope,
        idempotencyKey: ctx.scope.key,
      },
    ],
    typedSearchAttributes: [
      { key: CustomerIdKey, value: ctx.customerId },
      { key: ApprovalStatusKey, value: 'pending' },
    ],
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), RECORD_TIMEOUT_MS);
  try {
    await deps.temporal.withAbortSignal(controller.signal, () =>
      deps.temporal.workflow.executeUpdateWithStart(recordedUpdate, { startWorkflowOperation: operation }),
    );
  } catch (error) {
    if (controller.signal.aborted) {
      throw new DomainError(
        'service_unavailable',
        'The approval was not recorded in time; retry with the same Idempotency-Key.',
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const row = await getApproval(deps.database.db, approvalId);
  if (!row) throw new Error(`approval ${approvalId}: the workflow reported it recorded, the database has no row`);
  return row;
}

/**
 * The answer to a support grant or deduction that needs an admin: 202 with the approval, or —
 * for a replay of a decided one — its outcome. Checks that apply to the movement itself (body,
 * role limit, customer) have run before.
 */
export async function requestCreditApproval(deps: AppDeps, ctx: ApprovalRequestContext): Promise<Answer> {
  const { db } = deps.database;
  let key = ctx.previous;
  let replayed = key !== null;
  if (!key) {
    await assertPlausible(deps, ctx);
    const claim = await claimKey(db, ctx.scope, newId('apr'));
    key = claim.row;
    replayed = !claim.claimed;
    assertSameRequest(key, ctx.scope);
    const stored = storedAnswer(key);
    if (stored) return { ...stored, replayed: true };
    if (!isApprovalId(key.resourceId))
      throw new DomainError(
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
      );
  }
  const approvalId = key.resourceId;
  const existing = await getApproval(db, approvalId);
  if (existing && existing.status !== 'pending') {
    const outcome = await storeApprovalOutcome(deps, existing);
    if (outcome) return { ...outcome, replayed: true };
  }
  const row = existing ?? (await startApproval(deps, approvalId, ctx));
  return pendingAnswer(row, replayed);
}

/** A page of approvals, newest first, before `before` (the last row of the previous page). */
export interface ApprovalPageQuery {
  readonly status?: ApprovalStatus | undefined;
  readonly customerId?: string | undefined;
  readonly before: { readonly createdAt: Date; readonly id: string } | null;
  readonly limit: number;
}

export interface ApprovalPage {
  readonly data: Approval[];
  /** The last row's position when more follow (the HTTP layer turns it into a cursor). */
  readonly next: { readonly createdAt: Date; readonly id: string } | null;
}

export async function approvalPage(deps: AppDeps, query: ApprovalPageQuery): Promise<ApprovalPage> {
  const page = await listApprovals(deps.database.db, query);
  const last = page.rows[page.rows.length - 1];
  return {
    data: page.rows.map(toApproval),
    next: page.hasMore && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

function notFound(approvalId: string): DomainError {
  return new DomainError('approval_not_found', `No approval "${approvalId}".`, { approvalId });
}

function notPending(row: ApprovalRow, status = row.status): DomainError {
  return new DomainError(
    'approval_not_pending',
    `Approval ${row.id} is ${status}: only a pending approval can be decided.`,
    { approvalId: row.id, approvalStatus: status },
  );
}

async function load(deps: AppDeps, approvalId: string): Promise<ApprovalRow> {
  const row = await getApproval(deps.database.db, approvalId);
  if (!row) throw notFound(approvalId);
  return row;
}

export async function readApproval(deps: AppDeps, approvalId: string): Promise<Approval> {
  return toApproval(await load(deps, approvalId));
}

/** The checks the workflow's validator makes, answered from the database without a round trip when they already fail. */
function assertDecidable(row: ApprovalRow, actor: Actor): void {
  if (row.requestedBy === actor.name) {
    throw new DomainError(
      'approval_self_decision',
      `${actor.name} requested this change and may not decide it; another admin must.`,
      { approvalId: row.id, requestedBy: row.requestedBy },
    );
  }
  if (row.status !== 'pending') throw notPending(row);
  if (row.expiresAt.getTime() <= Date.now()) throw notPending(row, 'expired');
}

/** Runs a decision Update; its typed failure becomes the problem, a closed workflow is answered from the database. */
async function decide(
  deps: AppDeps,
  approvalId: string,
  actor: Actor,
  update: typeof approveUpdate,
  note: string | null,
): Promise<ApprovalRow> {
  const row = await load(deps, approvalId);
  assertDecidable(row, actor);
  const request: DecisionRequest = { actor: actor.name, note, requestId: actor.requestId };
  try {
    await deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(update, { args: [request] });
  } catch (error) {
    const cause = error instanceof WorkflowUpdateFailedError ? error.cause : null;
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
      throw new DomainError(cause.type, cause.message, (cause.details?.[0] ?? {}) as ProblemExtensions);
    }
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new DomainError(
        'service_unavailable',
        'The approval workflow did not answer in time; read the approval and retry if it is still pending.',
      );
    }
    // The workflow has ended (decided or expired) since the row was read.
    const now = await load(deps, row.id);
    if (now.status !== 'pending' || error instanceof WorkflowNotFoundError) throw notPending(now);
    throw error;
  }
  const decided = await load(deps, approvalId);
  await storeApprovalOutcome(deps, decided);
  return decided;
}

/** An admin approves: the entry is posted by the workflow; answers the approval, the entry and the balance. */
export async function approveApproval(
  deps: AppDeps,
  approvalId: string,
  actor: Actor,
  note: string | null,
): Promise<ApprovalDecision> {
  const approved = await decide(deps, approvalId, actor, approveUpdate, note);
  const { db } = deps.database;
  const entry = approved.entryId
    ? (await db.select().from(ledgerEntries).where(eq(ledgerEntries.id, approved.entryId)).limit(1))[0]
    : undefined;
  if (approved.status !== 'approved' || !entry)
    throw new Error(`approval ${approvalId}: the workflow approved it, the database shows ${approved.status}`);
  return {
    approval: toApproval(approved),
    entry: toLedgerEntry(entry),
    credit: toCreditBalance(
      approved.customerId,
      await getAccount(db, approved.customerId),
      deps.config.defaultCurrency,
    ),
  };
}

/** An admin rejects (a note is required): nothing is posted. */
export async function rejectApproval(deps: AppDeps, approvalId: string, actor: Actor, note: string): Promise<Approval> {
  return toApproval(await decide(deps, approvalId, actor, rejectUpdate, note));
}
