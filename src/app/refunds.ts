/**
 * Refunding a purchase: the Idempotency-Key fixes the refund id and the workflow id
 * `refund-<id>`; the `refundPurchase` workflow is started or attached to and awaited up to
 * PURCHASE_SYNC_TIMEOUT_MS. Still running then → 503 with Retry-After (not remembered: a retry
 * with the same key attaches to the same refund).
 */
import type { RefundRequest } from '../contracts/index.js';
import type { IdempotencyScope } from '../db/idempotency-repository.js';
import { newId } from '../domain/ids.js';
import { getPurchase, getRefund } from '../db/purchase-repository.js';
import { DomainError, problemBody } from '../domain/errors.js';
import { refundWorkflowId } from '../domain/purchase.js';
import { refundPurchase } from '../../workflows/index.js';
import type { Actor, AppDeps } from './deps.js';
import { runIdempotent, type Answer, type Outcome } from './idempotent.js';
import { toRefund } from './purchase-views.js';
import { runWorkflow } from './workflow-run.js';

export async function refund(
  deps: AppDeps,
  scope: IdempotencyScope,
  purchaseId: string,
  request: RefundRequest,
  actor: Actor,
): Promise<Answer> {
  const { db } = deps.database;
  return runIdempotent(deps.database, scope, {
    mode: 'after-claim',
    newResourceId: () => newId('ref'),
    precheck: async () => {
      if (!(await getPurchase(db, purchaseId)))
        throw new DomainError('purchase_not_found', `No purchase "${purchaseId}".`, { purchaseId });
    },
    execute: async ({ resourceId: refundId }): Promise<Outcome> => {
      const run = await runWorkflow(
        deps.temporal,
        refundPurchase,
        {
          workflowId: refundWorkflowId(refundId),
          taskQueue: deps.config.temporal.taskQueue,
          args: [
            {
              refundId,
              purchaseId,
              amount: request.amount,
              reason: request.reason,
              note: request.note ?? null,
              actor: actor.name,
              requestId: actor.requestId,
            },
          ],
        },
        deps.config.purchaseSyncTimeoutMs,
      );
      if (run.status === 'running') {
        const problem = problemBody(
          'service_unavailable',
          'The refund is still being processed; retry with the same Idempotency-Key to get its outcome.',
          {},
          actor.requestId,
        );
        return { kind: 'pending', answer: { status: problem.status, body: problem, retryAfter: 2 } };
      }
      if (run.result.status === 'failed')
        return { kind: 'final', answer: { status: run.result.error.status, body: run.result.error } };
      const row = await getRefund(db, run.result.refundId);
      if (!row) throw new Error(`refund ${run.result.refundId} completed but is not in the database`);
      return { kind: 'final', answer: { status: 201, body: toRefund(row) } };
    },
  });
}
