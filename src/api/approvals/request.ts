/**
 * The maker side of maker–checker: a support grant or deduction at or above
 * APPROVAL_THRESHOLD becomes a `creditApproval` workflow instead of an entry.
 *
 * The requester's Idempotency-Key is claimed first and fixes the approval id; the workflow
 * (`approval-<id>`) is started together with its `recorded` Update (update-with-start,
 * `USE_EXISTING`), so the 202 is sent only once the `approvals` row exists, and a replay — also
 * one after this process died between claim and start — attaches to the same execution.
 * A replay answers from the row: 202 while pending, then the outcome (201 with the entry,
 * 409 `approval_rejected` / `approval_expired`), which is stored against the key once final.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { Response } from 'express';
import type { ApprovalRequested, CreditMovementRequest, CreditMovementResponse } from '../../contracts/index.js';
import { getApproval } from '../../db/approval-repository.js';
import { getAccount } from '../../db/credit-repository.js';
import { claimKey, storeResponse, type IdempotencyScope } from '../../db/idempotency-repository.js';
import { newId } from '../../domain/ids.js';
import { ledgerEntries, type ApprovalRow, type IdempotencyKeyRow } from '../../db/schema.js';
import { approvalWorkflowId, isApprovalId, type ApprovalKind } from '../../domain/approval.js';
import { DomainError } from '../../domain/errors.js';
import { creditApproval, recordedUpdate } from '../../../workflows/index.js';
import { ApprovalStatusKey, CustomerIdKey } from '../../../workflows/search-attributes.js';
import { eq } from 'drizzle-orm';
import type { Caller } from '../auth.js';
import { toCreditBalance, toLedgerEntry } from '../../app/credit-views.js';
import type { ApiDeps } from '../deps.js';
import { problemBody } from '../errors.js';
import { assertSameRequest, storedAnswer, type Answer } from '../../app/idempotent.js';
import { sendAnswer } from '../respond.js';

/** How long the request waits for the workflow to record the approval before answering 503 (retry with the same key). */
const RECORD_TIMEOUT_MS = 10_000;

export interface ApprovalRequestContext {
  readonly kind: ApprovalKind;
  readonly customerId: string;
  readonly body: CreditMovementRequest;
  readonly scope: IdempotencyScope;
  readonly caller: Caller;
  readonly requestId: string;
  /** The stored key of an earlier request with the same key, if any (a replay). */
  readonly previous: IdempotencyKeyRow | null;
}

/** True when an earlier request with this key became an approval: the replay is answered from it. */
export function isApprovalReplay(previous: IdempotencyKeyRow | null): boolean {
  return previous !== null && isApprovalId(previous.resourceId);
}

/** The final answer to the requester for a decided approval, or null while it is pending. */
export async function approvalOutcome(deps: ApiDeps, row: ApprovalRow, requestId?: string): Promise<Answer | null> {
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
export async function storeApprovalOutcome(deps: ApiDeps, row: ApprovalRow): Promise<Answer | null> {
  const outcome = await approvalOutcome(deps, row);
  if (outcome)
    await storeResponse(deps.database.db, row.idempotencyScope, row.idempotencyKey, outcome.status, outcome.body);
  return outcome;
}

function sendPending(res: Response, row: Pick<ApprovalRow, 'id' | 'expiresAt'>, replayed: boolean): void {
  const body: ApprovalRequested = { approvalId: row.id, status: 'pending', expiresAt: row.expiresAt.toISOString() };
  if (replayed) res.set('Idempotent-Replayed', 'true');
  res.status(202).set('Location', `/v1/approvals/${row.id}`).json(body);
}

/** Refuses up front what could never be approved (a currency the account is not kept in, a deduction beyond `available`). */
async function assertPlausible(deps: ApiDeps, ctx: ApprovalRequestContext): Promise<void> {
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
async function startApproval(deps: ApiDeps, approvalId: string, ctx: ApprovalRequestContext): Promise<ApprovalRow> {
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
 * Answers a support grant or deduction that needs an admin: 202 with the approval, or — for a
 * replay of a decided one — its outcome. Checks that apply to the movement itself (body, role
 * limit, customer) have run before.
 */
export async function requestCreditApproval(deps: ApiDeps, res: Response, ctx: ApprovalRequestContext): Promise<void> {
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
    if (stored) {
      sendAnswer(res, { ...stored, replayed: true });
      return;
    }
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
    if (outcome) {
      sendAnswer(res, { ...outcome, replayed: true });
      return;
    }
  }
  const row = existing ?? (await startApproval(deps, approvalId, ctx));
  sendPending(res, row, replayed);
}
