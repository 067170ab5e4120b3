/**
 * `refundPurchase`: one refund as a workflow, so every money movement of a purchase is
 * visible in the same place as the purchase itself. The single activity locks the purchase,
 * checks the refundable amount (racing refunds serialise on the row), appends the refund
 * and its `refund` ledger entry in one transaction, and is idempotent on the refund id.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { problemBody, type ProblemBody } from '../src/domain/errors.js';
import { refusalOf } from './failures.js';

export type RefundReason = 'requested_by_customer' | 'damaged' | 'not_delivered' | 'duplicate' | 'goodwill' | 'other';

export interface RefundInput {
  readonly refundId: string;
  readonly purchaseId: string;
  /** Absent: everything still refundable. */
  readonly amount?: number | undefined;
  readonly reason: RefundReason;
  readonly note: string | null;
  readonly actor: string;
  readonly requestId: string | null;
}

export type RefundOutcome =
  | { readonly status: 'completed'; readonly refundId: string; readonly amount: number }
  | { readonly status: 'failed'; readonly refundId: string; readonly error: ProblemBody };

const { applyRefund } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '100 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export async function refundPurchase(input: RefundInput): Promise<RefundOutcome> {
  try {
    const result = await applyRefund({
      refundId: input.refundId,
      purchaseId: input.purchaseId,
      amount: input.amount,
      reason: input.reason,
      note: input.note,
      actor: input.actor,
      workflowId: workflowInfo().workflowId,
      requestId: input.requestId,
    });
    return { status: 'completed', refundId: result.refundId, amount: result.amount };
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    return {
      status: 'failed',
      refundId: input.refundId,
      error: problemBody(refusal.code, refusal.detail, refusal.extensions, input.requestId ?? undefined),
    };
  }
}
