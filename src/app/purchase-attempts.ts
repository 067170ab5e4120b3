/**
 * Use cases of purchase attempts for customer service: the list (the books' view of each
 * attempt, with the live stage of the pending ones from their sagas) and an admin's cancel of
 * a saga stuck waiting on the platform, through the saga's own `cancelPurchase` update.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import type { PurchaseAttemptSummary, PurchaseStage } from '../contracts/index.js';
import {
  getAttemptRow,
  listAttempts,
  recordCancelRequest,
  type AttemptFilter,
  type AttemptListRow,
} from '../db/attempt-repository.js';
import type { Executor } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { cancelPurchaseUpdate, statusQuery } from '../../workflows/index.js';
import type { PurchaseStatus } from '../../workflows/purchase.js';

export interface AttemptDeps {
  readonly db: Executor;
  readonly temporal: Client;
}

/** How long the list waits for the `status` query of its pending attempts, all together. */
const LIVE_STAGE_BUDGET_MS = 2_000;

export interface LiveState {
  readonly stage: PurchaseStage;
  readonly lastError: string | null;
}

/** The saga's own view of a pending attempt, or null when it does not answer in time (not started yet, Temporal slow). */
async function liveState(deps: AttemptDeps, workflowId: string, deadline: number): Promise<LiveState | null> {
  try {
    const status: PurchaseStatus = await deps.temporal.connection.withDeadline(deadline, () =>
      deps.temporal.workflow.getHandle(workflowId).query(statusQuery),
    );
    return { stage: status.stage, lastError: status.lastError };
  } catch {
    return null;
  }
}

export function toAttemptSummary(row: AttemptListRow, live: LiveState | null): PurchaseAttemptSummary {
  const a = row.attempt;
  const stage: PurchaseStage = a.status === 'pending' ? (live?.stage ?? 'started') : a.status;
  const error = a.status === 'failed' && a.error ? (a.error as PurchaseAttemptSummary['error']) : undefined;
  return {
    id: a.id,
    customerId: a.customerId,
    productId: a.productId,
    quantity: a.quantity,
    promoCode: a.promoCode,
    status: a.status,
    stage,
    createdAt: a.createdAt.toISOString(),
    updatedAt: (a.finishedAt ?? a.createdAt).toISOString(),
    ...(row.holdAmount !== null ? { holdAmount: row.holdAmount } : {}),
    ...(row.holdAmount !== null && row.holdCurrency !== null ? { currency: row.holdCurrency } : {}),
    ...(error ? { error } : {}),
    ...(a.status === 'completed' ? { purchaseId: a.id } : {}),
    ...(a.status === 'pending' && live?.lastError ? { lastError: live.lastError } : {}),
    workflowId: a.workflowId,
    actor: a.actor,
    ...(a.cancelRequestedBy && a.cancelReason && a.cancelRequestedAt
      ? {
          cancellation: {
            actor: a.cancelRequestedBy,
            reason: a.cancelReason,
            requestedAt: a.cancelRequestedAt.toISOString(),
          },
        }
      : {}),
  };
}

export interface AttemptPage {
  readonly data: PurchaseAttemptSummary[];
  /** The last row's keyset position, when there are more. */
  readonly next: { readonly createdAt: string; readonly id: string } | null;
}

export async function listPurchaseAttempts(deps: AttemptDeps, filter: AttemptFilter): Promise<AttemptPage> {
  const page = await listAttempts(deps.db, filter);
  const deadline = Date.now() + LIVE_STAGE_BUDGET_MS;
  const data = await Promise.all(
    page.rows.map(async (row) =>
      toAttemptSummary(
        row,
        row.attempt.status === 'pending' ? await liveState(deps, row.attempt.workflowId, deadline) : null,
      ),
    ),
  );
  const last = page.rows[page.rows.length - 1];
  return { data, next: page.hasMore && last ? { createdAt: last.cursorTime, id: last.attempt.id } : null };
}

export interface CancelInput {
  readonly attemptId: string;
  readonly reason: string;
  readonly actor: string;
  /** How long to wait for the saga to end after it accepted the cancel. */
  readonly waitMs: number;
}

function notCancellable(attemptId: string, detail: string, extensions: Record<string, string> = {}): DomainError {
  return new DomainError('purchase_not_cancellable', detail, { attemptId, ...extensions });
}

/**
 * Sends the saga's `cancelPurchase` update. The saga's validator refuses unless it waits on
 * the platform (`shipping`, `verifying_shipment`): that refusal, an attempt already ended and
 * a closed workflow are all 409 `purchase_not_cancellable`. Once the saga accepted, who and why
 * are recorded on the attempt (the update's arguments in the workflow history hold them too),
 * and the call waits up to `waitMs` for the saga to end: released hold and `purchase_cancelled`,
 * or committed when the platform turned out to have the shipment.
 */
export async function cancelPurchaseAttempt(
  deps: AttemptDeps,
  input: CancelInput,
): Promise<{ attempt: PurchaseAttemptSummary; ended: boolean }> {
  const row = await getAttemptRow(deps.db, input.attemptId);
  if (!row)
    throw new DomainError('purchase_attempt_not_found', `No purchase attempt "${input.attemptId}".`, {
      attemptId: input.attemptId,
    });
  if (row.attempt.status !== 'pending') {
    throw notCancellable(
      input.attemptId,
      `The purchase attempt already ${row.attempt.status === 'completed' ? 'completed' : 'failed'}; there is nothing to cancel.`,
      { attemptStatus: row.attempt.status },
    );
  }
  const handle = deps.temporal.workflow.getHandle(row.attempt.workflowId);
  let result: Promise<PurchaseStatus>;
  try {
    const update = await handle.startUpdate(cancelPurchaseUpdate, {
      args: [{ reason: input.reason, actor: input.actor }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    result = update.result();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw notCancellable(input.attemptId, 'The purchase saga has already ended.');
    throw error;
  }
  // A refused update has its outcome already, so `result()` rejects at once; an accepted one
  // resolves when the saga ends (or after the handler's own 30 s).
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'waiting'>((resolve) => {
    timer = setTimeout(() => resolve('waiting'), input.waitMs);
  });
  try {
    await Promise.race([result, waited]);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const live = await liveState(deps, row.attempt.workflowId, Date.now() + LIVE_STAGE_BUDGET_MS);
      throw notCancellable(
        input.attemptId,
        `The purchase saga refused the cancel: ${error.cause?.message ?? error.message}. Only a saga waiting on the platform (shipping, verifying_shipment) can be cancelled.`,
        live ? { stage: live.stage } : {},
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    result.catch(() => undefined);
  }
  await recordCancelRequest(deps.db, input.attemptId, input.actor, input.reason);
  const after = await getAttemptRow(deps.db, input.attemptId);
  if (!after) throw new Error(`purchase attempt ${input.attemptId} vanished`);
  const ended = after.attempt.status !== 'pending';
  const live = ended ? null : await liveState(deps, after.attempt.workflowId, Date.now() + LIVE_STAGE_BUDGET_MS);
  return { attempt: toAttemptSummary(after, live), ended };
}
