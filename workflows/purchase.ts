/**
 * `purchaseProduct`: the purchase saga.
 *
 *   load (fresh customer + product) → validate → reserve credit (hold) → create shipment
 *   → commit (capture hold + purchase entry + purchase row)   … or compensate (release hold)
 *
 * - Business refusals (not found, inactive, price changed, insufficient credit …) end the
 *   saga with a `failed` outcome carrying the caller's problem body; the workflow itself
 *   completes, so "failed purchase" and "broken workflow" never look alike to operators.
 * - CreateShipment is retried with backoff within `shipmentBudgetMs` (schedule-to-close);
 *   a 4xx is final. After any failure that is not a clean 4xx the shipment may exist (an
 *   ambiguous timeout), so the saga looks it up by its idempotency key before deciding: if
 *   it exists, the purchase commits — the customer gets the goods they will receive.
 * - Commit and compensation cannot fail for a business reason (funds are reserved), so they
 *   retry until they succeed, in non-cancellable scopes.
 */
import {
  ActivityFailure, ApplicationFailure, CancellationScope, condition, defineQuery, defineUpdate, isCancellation, patched, proxyActivities,
  proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ShipmentRef } from '../activities/purchase.js';
import { isErrorCode, problemBody, type ProblemBody, type ProblemExtensions } from '../src/domain/errors.js';
import { checkPurchasable, priceOf, pricingOfReservation, type PurchaseRefusal } from '../src/domain/purchase.js';
import { PurchaseStageKey } from './search-attributes.js';

export type PurchaseStage =
  | 'started' | 'loading' | 'reserving' | 'shipping' | 'verifying_shipment' | 'committing' | 'compensating' | 'completed' | 'failed';

export interface PurchaseInput {
  readonly purchaseId: string;
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly expectedUnitPrice?: number | undefined;
  readonly promoCode?: string | undefined;
  /** Token name of the caller, recorded on the ledger entry and the purchase. */
  readonly actor: string;
  readonly requestId: string | null;
  /** Total time CreateShipment may be retried before the saga compensates. */
  readonly shipmentBudgetMs: number;
}

export type PurchaseOutcome =
  | { readonly status: 'completed'; readonly purchaseId: string }
  | { readonly status: 'failed'; readonly purchaseId: string; readonly error: ProblemBody };

export interface PurchaseStatus {
  readonly purchaseId: string;
  readonly stage: PurchaseStage;
  readonly customerId: string;
  readonly productId: string;
  readonly total: number | null;
  readonly currency: string | null;
  readonly holdId: string | null;
  readonly shipmentId: string | null;
  /** The last failure the saga saw (an activity's error), for operators. */
  readonly lastError: string | null;
  readonly outcome: 'pending' | 'completed' | 'failed';
}

export const statusQuery = defineQuery<PurchaseStatus>('status');

export interface CancelPurchaseRequest {
  /** Why the operator gives up on this purchase; recorded in the failure the caller sees. */
  readonly reason: string;
  readonly actor?: string;
}

/**
 * Operator action on a stuck saga (docs/operations.md). Accepted only while the saga waits on
 * the platform (`shipping`, `verifying_shipment`). In `shipping` it stops the CreateShipment
 * retries, then still looks the shipment up by its idempotency key: if the platform has it, the
 * purchase commits (too late to cancel); if not, the hold is released and the attempt fails
 * with `purchase_cancelled`. In `verifying_shipment` (the platform does not even answer the
 * look-up) it stops waiting and compensates. Returns the status once the saga has ended, or
 * after 30 s (query `status` then).
 */
export const cancelPurchaseUpdate = defineUpdate<PurchaseStatus, [CancelPurchaseRequest]>('cancelPurchase');

/**
 * Versions of the saga's shape (executions started before a deploy replay on the new code;
 * test/fixtures/histories holds recorded histories of each shape):
 *
 * - v1 (no marker): every step a regular activity; `PurchaseStage` upserted at every stage.
 * - v2 (`LOCAL_STEPS_PATCH`): the platform reads and the database steps are *local*
 *   activities, which run inside the workflow task instead of a round trip through the
 *   server's task queues each (issue 8). CreateShipment's first attempt is local too, bounded
 *   by the platform client's timeout; only when it fails (not a 4xx) does the saga write
 *   `shipping` to `PurchaseStage` and move to a regular activity that retries within the
 *   rest of the budget, where operators see it wait and can cancel it. A purchase whose
 *   platform answers is then one workflow task. Duplicated attempts are harmless: the
 *   purchase id is the shipment's idempotency key. `PurchaseStage` is written only where
 *   operators search for it: waiting on the platform, a step that keeps failing, and the end
 *   (the `status` query has every stage).
 */
export const LOCAL_STEPS_PATCH = 'purchase-local-steps-v2';

/** Stages written to the `PurchaseStage` search attribute in v2 (v1 wrote every stage). */
const VISIBLE_STAGES: ReadonlySet<PurchaseStage> = new Set(['verifying_shipment', 'completed', 'failed']);

const LOAD_RETRY = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '2 seconds', maximumAttempts: 4 } as const;
// Database steps: transient failures (connection reset, failover) retried without limit;
// business refusals are non-retryable failures and surface at once.
const LEDGER_RETRY = { initialInterval: '100 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' } as const;

type LoadSteps = Pick<Activities, 'loadPurchaseContext'>;
type LedgerSteps = Pick<Activities, 'reserveCredit' | 'commitPurchase' | 'releaseCredit' | 'recordAttemptFailure'>;

const loadV1: LoadSteps = proxyActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: LOAD_RETRY });
const ledgerV1: LedgerSteps = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: LEDGER_RETRY });

const loadLocal: LoadSteps = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: LOAD_RETRY });
/** A database step's first tries; if they fail, the saga shows the stage and retries for good. */
const ledgerLocalFirst: LedgerSteps = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { ...LEDGER_RETRY, maximumInterval: '1 second', maximumAttempts: 3 },
});
const ledgerLocal: LedgerSteps = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: LEDGER_RETRY });

/** v2: CreateShipment's first attempt. Past the platform client's timeout it fails and the regular activity takes over. */
const shipLocalFirst: Pick<Activities, 'createShipment'> = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 1 },
});

const lookup = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  // Never compensate without knowing: keep asking until the platform answers.
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function shipping(budgetMs: number): Pick<Activities, 'createShipment'> {
  return proxyActivities<Activities>({
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: budgetMs,
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['shipment_rejected'] },
  });
}

function applicationFailureOf(error: unknown): ApplicationFailure | null {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) return error.cause;
  if (error instanceof ApplicationFailure) return error;
  return null;
}

/** A business refusal reported by an activity, or null for an infrastructure failure. */
function refusalOf(error: unknown): PurchaseRefusal | null {
  const failure = applicationFailureOf(error);
  if (!failure?.nonRetryable || !isErrorCode(failure.type)) return null;
  const extensions = (failure.details?.[0] ?? {}) as ProblemExtensions;
  return { code: failure.type, detail: failure.message, extensions };
}

function describe(error: unknown): string {
  if (error instanceof ActivityFailure) return `${error.activityType}: ${error.cause?.message ?? error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export async function purchaseProduct(input: PurchaseInput): Promise<PurchaseOutcome> {
  const { workflowId } = workflowInfo();
  let status: PurchaseStatus = {
    purchaseId: input.purchaseId, stage: 'started', customerId: input.customerId, productId: input.productId,
    total: null, currency: null, holdId: null, shipmentId: null, lastError: null, outcome: 'pending',
  };
  setHandler(statusQuery, () => status);

  // The operator's cancel interrupts whichever platform wait is current (one scope per stage).
  let cancelled = null as CancelPurchaseRequest | null;
  const shippingScope = new CancellationScope();
  const verifyScope = new CancellationScope();
  setHandler(cancelPurchaseUpdate, async (request) => {
    cancelled ??= request;
    (status.stage === 'shipping' ? shippingScope : verifyScope).cancel();
    await condition(() => status.outcome !== 'pending', '30 seconds');
    return status;
  }, {
    validator: (request: CancelPurchaseRequest): void => {
      if (typeof request?.reason !== 'string' || request.reason.trim() === '') throw new Error('cancelPurchase needs a non-empty "reason"');
      if (status.stage !== 'shipping' && status.stage !== 'verifying_shipment') {
        throw new Error(`purchase is in stage "${status.stage}": only a purchase waiting on shipping or verifying_shipment can be cancelled`);
      }
    },
  });
  const v2 = patched(LOCAL_STEPS_PATCH);
  const load = v2 ? loadLocal : loadV1;
  /** `visible`: write the stage to the search attribute even where v2 normally does not. */
  const update = (patch: Partial<PurchaseStatus>, visible = false): void => {
    status = { ...status, ...patch };
    if (patch.stage && (!v2 || visible || VISIBLE_STAGES.has(patch.stage))) {
      upsertSearchAttributes([{ key: PurchaseStageKey, value: patch.stage }]);
    }
  };
  /**
   * Runs a database step. v2: a few quick local tries; if they fail for an infrastructure
   * reason (the database is down, a lock wait timed out), the stage becomes visible to
   * operators with the error, and the step is retried until it succeeds. A business refusal
   * is thrown at once.
   */
  const ledgerStep = async <T>(stage: PurchaseStage, step: (ledger: LedgerSteps) => Promise<T>): Promise<T> => {
    if (!v2) return step(ledgerV1);
    try {
      return await step(ledgerLocalFirst);
    } catch (error) {
      if (refusalOf(error)) throw error;
      update({ stage, lastError: describe(error) }, true);
      return step(ledgerLocal);
    }
  };

  // Set once a hold or a promo redemption exists: from then on a failure must release them.
  let reserved = false;
  const fail = async (refusal: PurchaseRefusal, releaseReason: string): Promise<PurchaseOutcome> => {
    const error = problemBody(refusal.code, refusal.detail, refusal.extensions, input.requestId ?? undefined);
    await CancellationScope.nonCancellable(async () => {
      if (reserved) {
        update({ stage: 'compensating' });
        await ledgerStep('compensating', (ledger) => ledger.releaseCredit({ purchaseId: input.purchaseId, reason: releaseReason }));
      }
      await ledgerStep(status.stage, (ledger) => ledger.recordAttemptFailure({ purchaseId: input.purchaseId, problem: { ...error } }));
    });
    update({ stage: 'failed', outcome: 'failed', lastError: `${refusal.code}: ${refusal.detail}` });
    return { status: 'failed', purchaseId: input.purchaseId, error };
  };

  // 1. Load, fresh from the platform.
  update({ stage: 'loading' });
  let context: Awaited<ReturnType<Activities['loadPurchaseContext']>>;
  try {
    context = await load.loadPurchaseContext({ customerId: input.customerId, productId: input.productId, requestId: input.requestId });
  } catch (error) {
    const refusal = refusalOf(error) ?? {
      code: 'platform_unavailable' as const,
      detail: `The platform did not answer while loading the customer and product: ${describe(error)}`,
      extensions: {},
    };
    return fail(refusal, 'load_failed');
  }

  // 2. Validate.
  const refusal = checkPurchasable(context.product, input.quantity, input.expectedUnitPrice);
  if (refusal) return fail(refusal, 'validation_failed');
  let pricing = priceOf(context.product, input.quantity);
  let promoCode: string | null = null;

  // 3. Reserve the promo redemption (if any) and the credit for the discounted total.
  update({ stage: 'reserving' });
  try {
    const reservation = await ledgerStep('reserving', (ledger) => ledger.reserveCredit({
      purchaseId: input.purchaseId, customerId: input.customerId, productId: context.product.id,
      subtotal: pricing.subtotal, currency: pricing.currency, promoCode: input.promoCode ?? null, workflowId,
    }));
    reserved = true;
    pricing = pricingOfReservation(priceOf(context.product, input.quantity, reservation.discount), reservation);
    promoCode = reservation.promoCode;
    update({ holdId: reservation.holdId, total: pricing.total, currency: pricing.currency });
  } catch (error) {
    const refused = refusalOf(error);
    if (refused) return fail(refused, 'reserve_refused');
    throw error;
  }

  // 4. Ship.
  update({ stage: 'shipping' });
  let shipment: ShipmentRef | null = null;
  const shipmentRequest = {
    purchaseId: input.purchaseId, customerId: input.customerId, productId: input.productId,
    quantity: input.quantity, address: context.customer.address, requestId: input.requestId,
  };
  const ship = async (): Promise<ShipmentRef> => {
    if (!v2) return shipping(input.shipmentBudgetMs).createShipment(shipmentRequest);
    const startedAt = Date.now();
    try {
      return await shipLocalFirst.createShipment(shipmentRequest);
    } catch (error) {
      if (isCancellation(error) || applicationFailureOf(error)?.type === 'shipment_rejected') throw error;
      update({ stage: 'shipping', lastError: describe(error) }, true);
      const remainingMs = Math.max(1_000, input.shipmentBudgetMs - (Date.now() - startedAt));
      return shipping(remainingMs).createShipment(shipmentRequest);
    }
  };
  try {
    shipment = await shippingScope.run(ship);
  } catch (error) {
    const failure = applicationFailureOf(error);
    update({ lastError: describe(error) });
    if (failure?.type === 'shipment_rejected') {
      const details = (failure.details?.[0] ?? {}) as ProblemExtensions;
      return fail({ code: 'shipment_failed', detail: `The platform refused the shipment: ${failure.message}`, extensions: details }, 'shipment_rejected');
    }
    // Retries exhausted or timed out: the platform may have created it anyway. Ask.
    update({ stage: 'verifying_shipment' });
    let verified = true;
    try {
      shipment = await verifyScope.run(() => lookup.findShipment({ purchaseId: input.purchaseId, requestId: input.requestId }));
    } catch (lookupError) {
      if (!cancelled || !isCancellation(lookupError)) throw lookupError;
      verified = false;
    }
    if (!shipment && cancelled) {
      return fail({
        code: 'purchase_cancelled',
        detail: `Cancelled by ${cancelled.actor ?? 'an operator'} while waiting on the platform: ${cancelled.reason}`
          + (verified ? '' : ' (the platform did not answer the shipment look-up either)'),
        extensions: { reason: cancelled.reason, shipmentVerified: verified },
      }, 'purchase_cancelled');
    }
    if (!shipment) {
      return fail({
        code: 'shipment_failed',
        detail: `CreateShipment did not succeed within the ${Math.round(input.shipmentBudgetMs / 1000)} s retry budget: ${describe(error)}`,
        extensions: { platformReason: describe(error) },
      }, 'shipment_failed');
    }
  }
  update({ shipmentId: shipment.id });

  // 5. Commit.
  update({ stage: 'committing' });
  await CancellationScope.nonCancellable(() => ledgerStep('committing', (ledger) => ledger.commitPurchase({
    purchaseId: input.purchaseId,
    customerId: input.customerId,
    productId: context.product.id,
    productName: context.product.name,
    quantity: pricing.quantity,
    unitPrice: pricing.unitPrice,
    subtotal: pricing.subtotal,
    discount: pricing.discount,
    total: pricing.total,
    currency: pricing.currency,
    promoCode,
    shipmentId: shipment.id,
    shipmentStatus: shipment.status,
    // Where the platform ships it: the same as the address read, unless a re-executed step
    // read a newer one after the shipment was created (histories before v2 have no address).
    address: shipment.address ?? context.customer.address,
    workflowId,
    actor: input.actor,
    requestId: input.requestId,
  })));
  update({ stage: 'completed', outcome: 'completed' });
  return { status: 'completed', purchaseId: input.purchaseId };
}
