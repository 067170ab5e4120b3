/**
 * `purchaseProduct`: the purchase saga.
 *
 *   load → validate and price → reserve (hold; its release pushed as a compensation)
 *   → ship (or verify: look the shipment up) → commit   … or compensate and record the failure
 *
 * - Business refusals (not found, inactive, price changed, insufficient credit …) end the
 *   saga with a `failed` outcome carrying the caller's problem body; the workflow itself
 *   completes, so "failed purchase" and "broken workflow" never look alike to operators.
 * - CreateShipment is retried with backoff within `shipmentBudgetMs` (schedule-to-close);
 *   a 4xx is final. After any failure that is not a clean 4xx the shipment may exist (an
 *   ambiguous timeout), so the saga looks it up by its idempotency key before deciding: if
 *   it exists, the purchase commits — the customer gets the goods they will receive.
 * - Commit and compensations cannot fail for a business reason (funds are reserved), so they
 *   retry until they succeed, in non-cancellable scopes.
 * - No input and no platform answer fails the workflow task: pure steps throw only
 *   `PurchaseRefused` (workflows/purchase-rules.ts), and any other error of this code before the
 *   shipment is requested becomes an `internal_error` failure, compensated like a refusal.
 *
 * Shapes (executions started before a deploy replay on the new code; test/fixtures/histories
 * holds recorded histories of each): v1, every step a regular activity and every stage
 * written to `PurchaseStage`; v2 (`LOCAL_STEPS_PATCH`), the short steps as local activities
 * and `PurchaseStage` written only where operators search — waiting on the platform, a step
 * that keeps failing, and the end (the `status` query has every stage). The steps of each
 * shape are in workflows/purchase-steps.ts; this saga is the same for both.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  patched,
  setHandler,
  TemporalFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PurchaseContext, ShipmentRef } from '../activities/purchase.js';
import type { PurchaseStage } from '../src/contracts/purchases.js';
import { problemBody, type ProblemBody } from '../src/domain/errors.js';
import type { Pricing, ProductFacts } from '../src/domain/purchase.js';
import { applicationFailureOf, describe, extensionsOf, refusalOf } from './failures.js';
import { cancelRefusal, chargedPricing, priceOrRefuse, PurchaseRefused } from './purchase-rules.js';
import {
  currentSteps,
  mergedSteps,
  stepsBeforeLocalActivities,
  type CommitTerms,
  type PurchaseSteps,
  type Reservation,
  type Shipped,
} from './purchase-steps.js';
import { PurchaseOutcomeKey, PurchaseStageKey } from './search-attributes.js';

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

/** The patch that introduced the v2 shape (see the module comment and workflows/purchase-steps.ts). */
export const LOCAL_STEPS_PATCH = 'purchase-local-steps-v2';
/** The patch that introduced the v3 shape: v2's local steps merged into two (workflows/purchase-steps.ts). */
export const MERGED_STEPS_PATCH = 'purchase-merged-steps-v3';

export async function purchaseProduct(input: PurchaseInput): Promise<PurchaseOutcome> {
  // Newest first: an execution recorded as v2 has no v3 marker, and patched() is false for it.
  const shape = patched(MERGED_STEPS_PATCH) ? 'v3' : patched(LOCAL_STEPS_PATCH) ? 'v2' : 'v1';
  return runPurchaseSaga(input, shape);
}

/** The shapes of the saga's steps, oldest first (see the module comment). */
export type SagaShape = 'v1' | 'v2' | 'v3';

/**
 * The saga with the steps of `shape`. `purchaseProduct` chooses the shape by patch; this is
 * exported (not registered as a workflow) so bench/experiments can run an older shape beside
 * the current one.
 */
export async function runPurchaseSaga(input: PurchaseInput, shape: SagaShape): Promise<PurchaseOutcome> {
  const progress = new PurchaseProgress(input, shape === 'v1' ? 'every_stage' : 'where_operators_search');
  const show = (stage: PurchaseStage, lastError: string): void => progress.show(stage, lastError);
  const steps = shape === 'v3' ? mergedSteps(show) : shape === 'v2' ? currentSteps(show) : stepsBeforeLocalActivities();
  const saga: Saga = { input, steps, progress, compensations: [], shipmentRequested: false };

  try {
    const { context, reserved } = await load(saga);
    const quoted = priceOrRefuse(context.product, input);
    const { pricing, promoCode } = reserved
      ? termsOf(saga, context.product, reserved)
      : await reserve(saga, context.product, quoted);
    const terms = commitTerms(saga, context, pricing, promoCode);
    const { shipment, committed } = await shipOrVerify(saga, context, terms);
    if (!committed) await commit(saga, context, terms, shipment);
    progress.set({ stage: 'completed', outcome: 'completed' }, 'completed');
    return { status: 'completed', purchaseId: input.purchaseId };
  } catch (error) {
    return fail(saga, asRefusal(saga, error));
  }
}

/** A resource to give back if the saga fails, run with the reason the purchase failed. */
type Compensation = (reason: string) => Promise<void>;

interface Saga {
  readonly input: PurchaseInput;
  readonly steps: PurchaseSteps;
  readonly progress: PurchaseProgress;
  /** Pushed as each resource is reserved; run in reverse when the saga fails. */
  readonly compensations: Compensation[];
  /** From here on the shipment may exist: only a refusal the saga decided on may release the hold. */
  shipmentRequested: boolean;
}

/**
 * 1. Load customer and product, fresh from the platform. v3 also price-checks and reserves in
 * the same step (`reserved`, its release pushed at once); null: the saga reserves next.
 */
async function load(saga: Saga): Promise<{ context: PurchaseContext; reserved: Reservation | null }> {
  const { input, steps, progress } = saga;
  progress.set({ stage: 'loading' });
  try {
    if (!steps.loadAndReserve) {
      const context = await steps.load({
        customerId: input.customerId,
        productId: input.productId,
        requestId: input.requestId,
      });
      return { context, reserved: null };
    }
    const { context, reservation } = await steps.loadAndReserve({
      purchaseId: input.purchaseId,
      customerId: input.customerId,
      productId: input.productId,
      quantity: input.quantity,
      expectedUnitPrice: input.expectedUnitPrice ?? null,
      promoCode: input.promoCode ?? null,
      workflowId: workflowInfo().workflowId,
      requestId: input.requestId,
    });
    if (reservation) pushRelease(saga);
    return { context, reserved: reservation };
  } catch (error) {
    // v3: a refusal (of loading or of the reservation) and a platform failure of loading leave
    // no hold; anything else (the step timed out) may have reserved before it ended, so its
    // release is pushed — idempotent, and it releases nothing when there is no hold.
    const refused = refusalOf(error);
    const type = applicationFailureOf(error)?.type ?? '';
    if (steps.loadAndReserve && !refused && !type.startsWith('platform_')) pushRelease(saga);
    const refusal = refused ?? {
      code: 'platform_unavailable' as const,
      detail: `The platform did not answer while loading the customer and product: ${describe(error)}`,
      extensions: {},
    };
    throw new PurchaseRefused(refusal, 'load_failed');
  }
}

/**
 * 3. Reserve the promo redemption (if any) and the credit for the discounted total, and push
 * their release. The reservation's terms are what the purchase charges.
 */
async function reserve(
  saga: Saga,
  product: ProductFacts,
  quoted: Pricing,
): Promise<{ pricing: Pricing; promoCode: string | null }> {
  const { input, steps, progress } = saga;
  progress.set({ stage: 'reserving' });
  let reservation: Awaited<ReturnType<PurchaseSteps['reserve']>>;
  try {
    reservation = await steps.reserve({
      purchaseId: input.purchaseId,
      customerId: input.customerId,
      productId: product.id,
      subtotal: quoted.subtotal,
      currency: quoted.currency,
      promoCode: input.promoCode ?? null,
      workflowId: workflowInfo().workflowId,
    });
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal) throw new PurchaseRefused(refusal, 'reserve_refused');
    throw error;
  }
  pushRelease(saga);
  return termsOf(saga, product, reservation);
}

/** The release of the purchase's reservation, run if the saga fails from here on. */
function pushRelease({ input, steps, compensations }: Saga): void {
  compensations.push((reason) => steps.releaseReservation({ purchaseId: input.purchaseId, reason }, 'compensating'));
}

/** What the purchase charges: the reservation's terms (see `chargedPricing`). */
function termsOf(
  { input, progress }: Saga,
  product: ProductFacts,
  reservation: Reservation,
): { pricing: Pricing; promoCode: string | null } {
  const pricing = chargedPricing(product, input.quantity, reservation);
  progress.set({ holdId: reservation.holdId, total: pricing.total, currency: pricing.currency });
  return { pricing, promoCode: reservation.promoCode };
}

/**
 * 4. Ship: CreateShipment within the budget; if it did not answer "created" or "rejected",
 * verify. v3's first attempt also commits with `terms` (`committed`).
 */
async function shipOrVerify(saga: Saga, context: PurchaseContext, terms: CommitTerms): Promise<Shipped> {
  const { input, steps, progress } = saga;
  progress.set({ stage: 'shipping' });
  saga.shipmentRequested = true;
  const request = {
    purchaseId: input.purchaseId,
    customerId: input.customerId,
    productId: input.productId,
    quantity: input.quantity,
    address: context.customer.address,
    requestId: input.requestId,
  };
  let shipped: Shipped;
  try {
    shipped = await progress.shippingScope.run(() => steps.ship(request, input.shipmentBudgetMs, terms));
  } catch (error) {
    progress.set({ lastError: describe(error) });
    const failure = applicationFailureOf(error);
    if (failure?.type === 'shipment_rejected') {
      throw new PurchaseRefused(
        {
          code: 'shipment_failed',
          detail: `The platform refused the shipment: ${failure.message}`,
          extensions: extensionsOf(failure),
        },
        'shipment_rejected',
      );
    }
    shipped = { shipment: await verifyShipment(saga, error), committed: false };
  }
  progress.set({ shipmentId: shipped.shipment.id });
  return shipped;
}

/** 4b. Retries exhausted, timed out or cancelled: the platform may have created it anyway. Ask. */
async function verifyShipment({ input, steps, progress }: Saga, shipError: unknown): Promise<ShipmentRef> {
  progress.set({ stage: 'verifying_shipment' });
  let found: ShipmentRef | null = null;
  let verified = true;
  try {
    found = await progress.verifyingScope.run(() =>
      steps.findShipment({ purchaseId: input.purchaseId, requestId: input.requestId }),
    );
  } catch (error) {
    if (!progress.cancelRequest || !isCancellation(error)) throw error;
    verified = false;
  }
  if (found) return found;
  const cancelled = progress.cancelRequest;
  if (cancelled) {
    throw new PurchaseRefused(
      {
        code: 'purchase_cancelled',
        detail:
          `Cancelled by ${cancelled.actor ?? 'an operator'} while waiting on the platform: ${cancelled.reason}` +
          (verified ? '' : ' (the platform did not answer the shipment look-up either)'),
        extensions: { reason: cancelled.reason, shipmentVerified: verified },
      },
      'purchase_cancelled',
    );
  }
  throw new PurchaseRefused(
    {
      code: 'shipment_failed',
      detail: `CreateShipment did not succeed within the ${Math.round(input.shipmentBudgetMs / 1000)} s retry budget: ${describe(shipError)}`,
      extensions: { platformReason: describe(shipError) },
    },
    'shipment_failed',
  );
}

/** What the commit records besides the shipment; known once the reservation is. */
function commitTerms(
  { input }: Saga,
  context: PurchaseContext,
  pricing: Pricing,
  promoCode: string | null,
): CommitTerms {
  return {
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
    workflowId: workflowInfo().workflowId,
    actor: input.actor,
    requestId: input.requestId,
  };
}

/** 5. Commit: capture the hold, append the purchase entry, insert the purchase. Retried until done. */
async function commit(
  { steps, progress }: Saga,
  context: PurchaseContext,
  terms: CommitTerms,
  shipment: ShipmentRef,
): Promise<void> {
  progress.set({ stage: 'committing' });
  await CancellationScope.nonCancellable(() =>
    steps.commit({
      ...terms,
      shipmentId: shipment.id,
      shipmentStatus: shipment.status,
      // Where the platform ships it: the same as the address read, unless a re-executed step
      // read a newer one after the shipment was created (histories before v2 have no address).
      address: shipment.address ?? context.customer.address,
    }),
  );
}

/**
 * What a failure of a step means for the caller. A refusal is the answer. An error of this
 * code itself (not a Temporal failure) before the shipment was requested is answered as
 * `internal_error` rather than failing the workflow task forever. Anything else — the workflow
 * cancelled through Temporal, a bug once a shipment may exist — fails the workflow: the hold is
 * then left to reconciliation, which looks the shipment up before releasing it.
 */
function asRefusal(saga: Saga, error: unknown): PurchaseRefused {
  if (error instanceof PurchaseRefused) return error;
  if (!(error instanceof TemporalFailure) && !saga.shipmentRequested) {
    return new PurchaseRefused(
      {
        code: 'internal_error',
        detail: `The purchase saga failed before requesting a shipment: ${describe(error)}`,
        extensions: {},
      },
      'saga_error',
    );
  }
  throw error;
}

/** 6. Compensate (in reverse, never cancelled, errors not swallowed) and record the failure the caller gets. */
async function fail(
  { input, steps, progress, compensations }: Saga,
  refused: PurchaseRefused,
): Promise<PurchaseOutcome> {
  const { refusal, releaseReason } = refused;
  const error = problemBody(refusal.code, refusal.detail, refusal.extensions, input.requestId ?? undefined);
  await CancellationScope.nonCancellable(async () => {
    if (compensations.length > 0) {
      progress.set({ stage: 'compensating' });
      await runInReverse(compensations, releaseReason);
    }
    await steps.recordFailure({ purchaseId: input.purchaseId, problem: { ...error } }, progress.stage);
  });
  progress.set({ stage: 'failed', outcome: 'failed', lastError: `${refusal.code}: ${refusal.detail}` }, refusal.code);
  return { status: 'failed', purchaseId: input.purchaseId, error };
}

/**
 * Runs every compensation, newest first, even when one fails; then throws what failed (the
 * saga fails and the attempt stays pending for reconciliation: never a pretended release).
 */
async function runInReverse(compensations: readonly Compensation[], reason: string): Promise<void> {
  const failures: unknown[] = [];
  for (const compensation of [...compensations].reverse()) {
    try {
      await compensation(reason);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw ApplicationFailure.create({
      type: 'compensation_failed',
      message: failures.map(describe).join('; '),
      nonRetryable: true,
    });
  }
}

/** Stages written to the `PurchaseStage` search attribute in v2 (v1 wrote every stage). */
const VISIBLE_STAGES: ReadonlySet<PurchaseStage> = new Set(['verifying_shipment', 'completed', 'failed']);

/**
 * The saga's status as the `status` query answers it and the `PurchaseStage` search attribute
 * shows it, and the operator's `cancelPurchase` update, which interrupts whichever platform
 * wait is current (one cancellation scope per stage that waits on the platform).
 */
class PurchaseProgress {
  private current: PurchaseStatus;
  cancelRequest: CancelPurchaseRequest | null = null;
  readonly shippingScope = new CancellationScope();
  readonly verifyingScope = new CancellationScope();

  constructor(
    input: PurchaseInput,
    private readonly stageWrites: 'every_stage' | 'where_operators_search',
  ) {
    this.current = {
      purchaseId: input.purchaseId,
      stage: 'started',
      customerId: input.customerId,
      productId: input.productId,
      total: null,
      currency: null,
      holdId: null,
      shipmentId: null,
      lastError: null,
      outcome: 'pending',
    };
    setHandler(statusQuery, () => this.current);
    setHandler(
      cancelPurchaseUpdate,
      async (request) => {
        this.cancelRequest ??= request;
        (this.current.stage === 'shipping' ? this.shippingScope : this.verifyingScope).cancel();
        await condition(() => this.current.outcome !== 'pending', '30 seconds');
        return this.current;
      },
      {
        validator: (request: CancelPurchaseRequest): void => {
          const refusal = cancelRefusal(this.current.stage, request);
          if (refusal) throw new Error(refusal);
        },
      },
    );
  }

  get stage(): PurchaseStage {
    return this.current.stage;
  }

  /**
   * `outcome` (the final stage only): `PurchaseOutcome` — `completed` or the caller's problem
   * code — rides in the same upsert as the final `PurchaseStage`, so the saga's commands, and
   * the replay of older histories, are unchanged.
   */
  set(patch: Partial<PurchaseStatus>, outcome?: string): void {
    this.current = { ...this.current, ...patch };
    if (patch.stage && (this.stageWrites === 'every_stage' || VISIBLE_STAGES.has(patch.stage)))
      this.writeStage(patch.stage, outcome);
  }

  /** A step keeps failing and is retried: show its stage to operators, with the error. */
  show(stage: PurchaseStage, lastError: string): void {
    this.current = { ...this.current, stage, lastError };
    this.writeStage(stage);
  }

  private writeStage(stage: PurchaseStage, outcome?: string): void {
    upsertSearchAttributes(
      outcome === undefined
        ? [{ key: PurchaseStageKey, value: stage }]
        : [
            { key: PurchaseStageKey, value: stage },
            { key: PurchaseOutcomeKey, value: outcome },
          ],
    );
  }
}
