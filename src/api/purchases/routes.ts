/**
 * Purchases, attempts and refunds (api-contract.md § Purchases).
 *
 * POST /v1/purchases: the Idempotency-Key is claimed first and fixes the purchase id, so a
 * repeated request — also one repeated after this process died — attaches to the same
 * workflow (`purchase-<id>`) instead of buying twice. The call then waits for the saga up to
 * PURCHASE_SYNC_TIMEOUT_MS: a final outcome is stored against the key and returned; a saga
 * still running is answered 202 with the attempt's URL (and a replay gets 202 again until the
 * saga ends).
 */
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AttemptIdParam, PurchaseIdParam, PurchaseListQuery, PurchaseRequest, RefundRequest, ListQuery,
  type PurchaseAttempt, type PurchaseList, type PurchasePending, type PurchaseStage, type PurchaseWithRefunds, type RefundList,
} from '../../contracts/index.js';
import { claimKey, findKey, storeResponse } from '../../db/idempotency-repository.js';
import { newId } from '../../db/ids.js';
import {
  getAttempt, getPurchase, getRefund, insertAttempt, listPurchases, listRefunds,
} from '../../db/purchase-repository.js';
import type { IdempotencyKeyRow } from '../../db/schema.js';
import { DomainError, type ProblemBody } from '../../domain/errors.js';
import { purchaseWorkflowId, refundWorkflowId } from '../../domain/purchase.js';
import { purchaseProduct, refundPurchase, statusQuery } from '../../../workflows/index.js';
import type { PurchaseOutcome } from '../../../workflows/purchase.js';
import type { RefundOutcome } from '../../../workflows/refund.js';
import { CustomerIdKey, ProductIdKey, PurchaseStageKey } from '../../../workflows/search-attributes.js';
import { callerOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { assertSameRequest, idempotencyScope, sendStored, storedResponse, type StoredResponse } from '../idempotency.js';
import { requestIdOf } from '../request-id.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';
import { toPurchase, toPurchaseWithRefunds, toRefund } from './mappers.js';

const PurchaseCursor = z.object({ t: z.string(), id: z.string() });

const PENDING = Symbol('pending');

/** Waits for a workflow's result up to `ms`; PENDING when it is still running then. */
async function waitForResult<T>(deps: ApiDeps, handle: WorkflowHandle, ms: number): Promise<T | typeof PENDING> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return (await deps.temporal.withAbortSignal(controller.signal, () => handle.result())) as T;
  } catch (error) {
    if (controller.signal.aborted) return PENDING;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function locationFor(stored: StoredResponse): string | undefined {
  const body = stored.body as { id?: unknown } | null;
  return stored.status === 201 && body && typeof body.id === 'string' ? `/v1/purchases/${body.id}` : undefined;
}

export function purchasesRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;
  const taskQueue = deps.config.temporal.taskQueue;

  /** The final answer for a purchase id from the database, or null while the saga runs. */
  async function finalAnswer(purchaseId: string, outcome: PurchaseOutcome | null): Promise<StoredResponse | null> {
    const purchase = await getPurchase(db, purchaseId);
    if (purchase) return { status: 201, body: toPurchase(purchase) };
    if (outcome?.status === 'failed') return { status: outcome.error.status, body: outcome.error };
    const attempt = await getAttempt(db, purchaseId);
    if (attempt?.status === 'failed' && attempt.error) {
      const error = attempt.error as ProblemBody;
      return { status: error.status, body: error };
    }
    return null;
  }

  router.post('/purchases', requireRole('storefront'), async (req: Request, res: Response) => {
    const body = parseBody(req, PurchaseRequest);
    const scope = idempotencyScope(req, body);
    const caller = callerOf(req);
    const requestId = requestIdOf(req);

    let key: IdempotencyKeyRow | null = await findKey(db, scope.scope, scope.key);
    let replayed = key !== null;
    if (!key) {
      const candidate = newId('pur');
      const claim = await db.transaction(async (tx) => {
        const result = await claimKey(tx, scope, candidate);
        if (result.claimed) {
          await insertAttempt(tx, {
            id: candidate, customerId: body.customerId, productId: body.productId, quantity: body.quantity,
            promoCode: body.promoCode ?? null, workflowId: purchaseWorkflowId(candidate), actor: caller.name, requestId,
          });
        }
        return result;
      });
      key = claim.row;
      replayed = !claim.claimed;
    }
    assertSameRequest(key, scope);
    const stored = storedResponse(key);
    if (stored) {
      sendStored(res, stored, true, locationFor(stored));
      return;
    }
    const purchaseId = key.resourceId;
    const workflowId = purchaseWorkflowId(purchaseId);

    // Already decided (e.g. the answer was lost with a dying process)? Answer from the books.
    let answer = replayed ? await finalAnswer(purchaseId, null) : null;
    if (!answer) {
      let handle: WorkflowHandle;
      try {
        handle = await deps.temporal.workflow.start(purchaseProduct, {
          workflowId,
          taskQueue,
          args: [{
            purchaseId, customerId: body.customerId, productId: body.productId, quantity: body.quantity,
            expectedUnitPrice: body.expectedUnitPrice, promoCode: body.promoCode, actor: caller.name, requestId,
            shipmentBudgetMs: deps.config.shipmentRetryBudgetMs,
          }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: CustomerIdKey, value: body.customerId },
            { key: ProductIdKey, value: body.productId },
            { key: PurchaseStageKey, value: 'started' },
          ],
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        handle = deps.temporal.workflow.getHandle(workflowId);
      }
      const outcome = await waitForResult<PurchaseOutcome>(deps, handle, deps.config.purchaseSyncTimeoutMs);
      if (outcome === PENDING) {
        const pending: PurchasePending = { id: purchaseId, status: 'pending' };
        res.status(202).set('Location', `/v1/purchase-attempts/${purchaseId}`).set('Retry-After', '1');
        if (replayed) res.set('Idempotent-Replayed', 'true');
        res.json(pending);
        return;
      }
      answer = await finalAnswer(purchaseId, outcome);
      if (!answer) throw new Error(`purchase ${purchaseId}: the saga ended ${outcome.status} but the books show no outcome`);
    }
    await storeResponse(db, scope.scope, scope.key, answer.status, answer.body);
    sendStored(res, answer, replayed, locationFor(answer));
  });

  router.get('/purchases', requireRole('storefront'), async (req: Request, res: Response<PurchaseList>) => {
    const query = parseQuery(req, PurchaseListQuery);
    const cursor = decodeCursor(query.cursor, PurchaseCursor);
    const page = await listPurchases(db, {
      customerId: query.customerId,
      productId: query.productId,
      status: query.status,
      createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
      createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
      before: cursor ? { createdAt: new Date(cursor.t), id: cursor.id } : null,
      limit: query.limit,
    });
    const last = page.rows[page.rows.length - 1];
    res.json({
      data: page.rows.map(toPurchase),
      nextCursor: page.hasMore && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) : null,
    });
  });

  router.get('/purchases/:purchaseId', requireRole('storefront'), async (req: Request, res: Response<PurchaseWithRefunds>) => {
    const { purchaseId } = parseParams(req, PurchaseIdParam);
    const purchase = await getPurchase(db, purchaseId);
    if (!purchase) throw new DomainError('purchase_not_found', `No purchase "${purchaseId}".`, { purchaseId });
    res.json(toPurchaseWithRefunds(purchase, await listRefunds(db, purchaseId)));
  });

  router.get('/purchase-attempts/:attemptId', requireRole('storefront'), async (req: Request, res: Response<PurchaseAttempt>) => {
    const { attemptId } = parseParams(req, AttemptIdParam);
    const attempt = await getAttempt(db, attemptId);
    if (!attempt) throw new DomainError('purchase_attempt_not_found', `No purchase attempt "${attemptId}".`, { attemptId });
    if (attempt.status === 'completed') {
      const purchase = await getPurchase(db, attemptId);
      res.json({ id: attemptId, status: 'completed', stage: 'completed', ...(purchase ? { purchase: toPurchase(purchase) } : {}) });
      return;
    }
    if (attempt.status === 'failed') {
      res.json({ id: attemptId, status: 'failed', stage: 'failed', ...(attempt.error ? { error: attempt.error as PurchaseAttempt['error'] } : {}) });
      return;
    }
    let stage: PurchaseStage = 'started';
    try {
      const status = await deps.temporal.connection.withDeadline(Date.now() + 2000, () =>
        deps.temporal.workflow.getHandle(attempt.workflowId).query(statusQuery));
      stage = status.stage;
    } catch {
      // Not started yet, or Temporal slow: the attempt is pending either way.
    }
    res.json({ id: attemptId, status: 'pending', stage });
  });

  router.post('/purchases/:purchaseId/refunds', requireRole('support'), async (req: Request, res: Response) => {
    const { purchaseId } = parseParams(req, PurchaseIdParam);
    const body = parseBody(req, RefundRequest);
    const scope = idempotencyScope(req, body);
    const caller = callerOf(req);
    const requestId = requestIdOf(req);

    const previous = await findKey(db, scope.scope, scope.key);
    if (previous) {
      assertSameRequest(previous, scope);
      const stored = storedResponse(previous);
      if (stored) {
        sendStored(res, stored, true);
        return;
      }
    } else if (!(await getPurchase(db, purchaseId))) {
      throw new DomainError('purchase_not_found', `No purchase "${purchaseId}".`, { purchaseId });
    }
    const claim = previous ? { row: previous, claimed: false } : await claimKey(db, scope, newId('ref'));
    assertSameRequest(claim.row, scope);
    const refundId = claim.row.resourceId;
    let handle: WorkflowHandle;
    try {
      handle = await deps.temporal.workflow.start(refundPurchase, {
        workflowId: refundWorkflowId(refundId),
        taskQueue,
        args: [{ refundId, purchaseId, amount: body.amount, reason: body.reason, note: body.note ?? null, actor: caller.name, requestId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      handle = deps.temporal.workflow.getHandle(refundWorkflowId(refundId));
    }
    const outcome = await waitForResult<RefundOutcome>(deps, handle, deps.config.purchaseSyncTimeoutMs);
    if (outcome === PENDING) {
      res.set('Retry-After', '2');
      throw new DomainError('service_unavailable', 'The refund is still being processed; retry with the same Idempotency-Key to get its outcome.');
    }
    let answer: StoredResponse;
    if (outcome.status === 'completed') {
      const refund = await getRefund(db, outcome.refundId);
      if (!refund) throw new Error(`refund ${outcome.refundId} completed but is not in the database`);
      answer = { status: 201, body: toRefund(refund) };
    } else {
      answer = { status: outcome.error.status, body: outcome.error };
    }
    await storeResponse(db, scope.scope, scope.key, answer.status, answer.body);
    sendStored(res, answer, !claim.claimed);
  });

  router.get('/purchases/:purchaseId/refunds', requireRole('storefront'), async (req: Request, res: Response<RefundList>) => {
    const { purchaseId } = parseParams(req, PurchaseIdParam);
    parseQuery(req, ListQuery);
    if (!(await getPurchase(db, purchaseId))) throw new DomainError('purchase_not_found', `No purchase "${purchaseId}".`, { purchaseId });
    // A purchase has a handful of refunds at most (each needs a refundable remainder): one page.
    res.json({ data: (await listRefunds(db, purchaseId)).reverse().map(toRefund), nextCursor: null });
  });

  return router;
}
