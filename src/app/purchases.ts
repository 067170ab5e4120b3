/**
 * Buying a product: ask admission control whether a new purchase may start (a refusal, 503
 * `overloaded`, comes before anything is claimed or written; a replay of a known key is not
 * asked), claim the Idempotency-Key (which fixes the purchase id, the attempt's id
 * and the workflow id `purchase-<id>`), record the attempt, start or attach to the saga, wait
 * for it up to PURCHASE_SYNC_TIMEOUT_MS, and answer from the books: 201 with the purchase,
 * the saga's problem, or 202 while it still runs. Every problem of a recorded attempt carries
 * its `attemptId`.
 */
import type {
  Purchase,
  PurchaseAttempt,
  PurchasePending,
  PurchaseRequestParsed,
  PurchaseStage,
  PurchaseWithRefunds,
  Refund,
} from '../contracts/index.js';
import type { IdempotencyScope } from '../db/idempotency-repository.js';
import { newId } from '../domain/ids.js';
import {
  getAttempt,
  getPurchase,
  insertAttempt,
  listPurchases,
  listRefunds,
  type PurchaseFilter,
} from '../db/purchase-repository.js';
import { DomainError, isTransientRefusal, withProblemExtensions, type ProblemBody } from '../domain/errors.js';
import { purchaseWorkflowId } from '../domain/purchase.js';
import { purchaseProduct, statusQuery } from '../../workflows/index.js';
import type { PurchaseOutcome } from '../../workflows/purchase.js';
import { CustomerIdKey, ProductIdKey, PurchaseStageKey } from '../../workflows/search-attributes.js';
import type { AdmissionTicket } from './admission.js';
import type { Actor, AppDeps } from './deps.js';
import { runIdempotent, type Answer, type Outcome } from './idempotent.js';
import { toPurchase, toPurchaseWithRefunds, toRefund } from './purchase-views.js';
import { toFailedAttempt } from '../db/resource-views.js';
import { runWorkflow } from './workflow-run.js';

/** Runs one purchase request (see the module comment). */
export async function purchase(
  deps: AppDeps,
  scope: IdempotencyScope,
  request: PurchaseRequestParsed,
  actor: Actor,
): Promise<Answer> {
  let ticket: AdmissionTicket | null = null;
  return runIdempotent(deps.database, scope, {
    mode: 'after-claim',
    newResourceId: () => newId('pur'),
    // Runs only for a key not seen before: a replay or a retry that attaches adds no saga.
    precheck: async () => {
      ticket = (await deps.admission?.admit()) ?? null;
    },
    onClaim: (tx, purchaseId) =>
      insertAttempt(tx, {
        id: purchaseId,
        customerId: request.customerId,
        productId: request.productId,
        quantity: request.quantity,
        promoCode: request.promoCode ?? null,
        workflowId: purchaseWorkflowId(purchaseId),
        actor: actor.name,
        requestId: actor.requestId,
      }),
    execute: async ({ resourceId: purchaseId, replayed }) => {
      try {
        // Already decided (e.g. the answer was lost with a dying process)? Answer from the books.
        const known = replayed ? await outcomeFromBooks(deps, purchaseId, null) : null;
        return known ?? (await runSaga(deps, purchaseId, request, actor, ticket));
      } catch (error) {
        throw withProblemExtensions(error, { attemptId: purchaseId });
      }
    },
  });
}

async function runSaga(
  deps: AppDeps,
  purchaseId: string,
  request: PurchaseRequestParsed,
  actor: Actor,
  ticket: AdmissionTicket | null,
): Promise<Outcome> {
  const run = await runWorkflow(
    deps.temporal,
    purchaseProduct,
    {
      workflowId: purchaseWorkflowId(purchaseId),
      taskQueue: deps.config.temporal.taskQueue,
      args: [
        {
          purchaseId,
          customerId: request.customerId,
          productId: request.productId,
          quantity: request.quantity,
          expectedUnitPrice: request.expectedUnitPrice,
          promoCode: request.promoCode,
          actor: actor.name,
          requestId: actor.requestId,
          shipmentBudgetMs: deps.config.shipmentRetryBudgetMs,
        },
      ],
      typedSearchAttributes: [
        { key: CustomerIdKey, value: request.customerId },
        { key: ProductIdKey, value: request.productId },
        { key: PurchaseStageKey, value: 'started' },
      ],
    },
    deps.config.purchaseSyncTimeoutMs,
  );
  // Admission control times the purchases it admitted (an answer, or the sync deadline, now) and
  // stops counting one that ended.
  ticket?.answered(run.status !== 'running');
  if (run.status === 'running') {
    const pending: PurchasePending = { id: purchaseId, status: 'pending' };
    return {
      kind: 'pending',
      answer: { status: 202, body: pending, location: `/v1/purchase-attempts/${purchaseId}`, retryAfter: 1 },
    };
  }
  const outcome = await outcomeFromBooks(deps, purchaseId, run.result);
  if (!outcome)
    throw new Error(`purchase ${purchaseId}: the saga ended ${run.result.status} but the books show no outcome`);
  return outcome;
}

/** The final outcome of a purchase id from the database, or null while the saga runs. */
async function outcomeFromBooks(
  deps: AppDeps,
  purchaseId: string,
  ended: PurchaseOutcome | null,
): Promise<Outcome | null> {
  const { db } = deps.database;
  const bought = await getPurchase(db, purchaseId);
  if (bought)
    return {
      kind: 'final',
      answer: { status: 201, body: toPurchase(bought), location: `/v1/purchases/${purchaseId}` },
    };
  const problem =
    ended?.status === 'failed'
      ? ended.error
      : ((await getAttempt(db, purchaseId))?.error as ProblemBody | null | undefined);
  if (!problem) return null;
  // A dependency that did not answer while loading, before anything was reserved: a retry
  // with the same key is a new attempt (the saga reserves nothing before it has loaded).
  const kind = isTransientRefusal(problem.code) ? 'transient' : 'final';
  return { kind, answer: { status: problem.status, body: { ...problem, attemptId: purchaseId } } };
}

/** The state of a purchase attempt: from the books once it ended, from the saga while it runs. */
export async function attemptStatus(deps: AppDeps, attemptId: string): Promise<PurchaseAttempt> {
  const { db } = deps.database;
  const attempt = await getAttempt(db, attemptId);
  if (!attempt)
    throw new DomainError('purchase_attempt_not_found', `No purchase attempt "${attemptId}".`, { attemptId });
  if (attempt.status === 'completed') {
    const bought = await getPurchase(db, attemptId);
    return {
      id: attemptId,
      status: 'completed',
      stage: 'completed',
      ...(bought ? { purchase: toPurchase(bought) } : {}),
    };
  }
  if (attempt.status === 'failed') return toFailedAttempt(attempt);
  let stage: PurchaseStage = 'started';
  try {
    const status = await deps.temporal.connection.withDeadline(Date.now() + 2000, () =>
      deps.temporal.workflow.getHandle(attempt.workflowId).query(statusQuery),
    );
    stage = status.stage;
  } catch {
    // Not started yet, or Temporal slow: the attempt is pending either way.
  }
  return { id: attemptId, status: 'pending', stage };
}

export interface PurchasePage {
  readonly data: Purchase[];
  readonly hasMore: boolean;
}

export async function purchasesPage(deps: AppDeps, filter: PurchaseFilter): Promise<PurchasePage> {
  const page = await listPurchases(deps.database.db, filter);
  return { data: page.rows.map(toPurchase), hasMore: page.hasMore };
}

export async function purchaseWithRefunds(deps: AppDeps, purchaseId: string): Promise<PurchaseWithRefunds> {
  const bought = await getPurchase(deps.database.db, purchaseId);
  if (!bought) throw new DomainError('purchase_not_found', `No purchase "${purchaseId}".`, { purchaseId });
  return toPurchaseWithRefunds(bought, await listRefunds(deps.database.db, purchaseId));
}

/** The refunds of a purchase, newest first. */
export async function refundsOf(deps: AppDeps, purchaseId: string): Promise<Refund[]> {
  if (!(await getPurchase(deps.database.db, purchaseId)))
    throw new DomainError('purchase_not_found', `No purchase "${purchaseId}".`, { purchaseId });
  return (await listRefunds(deps.database.db, purchaseId)).reverse().map(toRefund);
}
