/**
 * Activities of the purchase saga and of refunds. Each is idempotent, because Temporal retries
 * them: the platform's CreateShipment is keyed by the purchase id, and every database step is
 * keyed by the purchase, hold or refund id.
 *
 * An activity's name is recorded in every workflow history that ran it (local activities'
 * markers included) and replay checks it, so names never change: a database step is named as
 * the repository function it calls, and if one drifts, the function is renamed.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../src/domain/errors.js';
import { checkPurchasable, priceOf, type ProductFacts } from '../src/domain/purchase.js';
import {
  applyRefund,
  commitPurchase,
  recordAttemptFailure,
  releaseCredit,
  reserveCredit,
  type CommitInput,
  type RefundInput,
  type Reservation,
  type ReserveInput,
} from '../src/db/purchase-repository.js';
import type { AddressSnapshot } from '../src/db/schema.js';
import { PlatformError } from '../src/platform/client.js';
import type { ActivityDeps } from './deps.js';
import { refusal, refusingDomainErrors } from './failures.js';

export interface PurchaseContext {
  readonly customer: { readonly id: string; readonly address: AddressSnapshot };
  readonly product: ProductFacts;
}

export interface ShipmentRef {
  readonly id: string;
  readonly status: string;
  /** Where the platform ships it (absent in results recorded before it was added). */
  readonly address?: AddressSnapshot;
}

function addressOf(address: {
  line1: string;
  line2?: string | null | undefined;
  city: string;
  postalCode: string;
  country: string;
}): AddressSnapshot {
  return {
    line1: address.line1,
    line2: address.line2 ?? null,
    city: address.city,
    postalCode: address.postalCode,
    country: address.country,
  };
}

export interface CreateShipmentInput {
  readonly purchaseId: string;
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly address: AddressSnapshot;
  readonly requestId: string | null;
}

export interface LoadContextInput {
  readonly customerId: string;
  readonly productId: string;
  readonly requestId: string | null;
}

/** Saga v3's first step: load, price-check and reserve in one local activity. */
export interface LoadAndReserveInput extends LoadContextInput {
  readonly purchaseId: string;
  readonly quantity: number;
  readonly expectedUnitPrice: number | null;
  readonly promoCode: string | null;
  readonly workflowId: string;
}

/**
 * How far `loadAndReserve` got. It throws what loading throws and the reservation's refusal
 * (insufficient credit, promo code …); when the price check does not pass, or the reservation
 * fails for any other reason, it stops with `reservation: null` and says why, and the saga goes
 * on with its own steps from there (which refuse, or retry, exactly as they always do).
 */
export interface LoadedAndReserved {
  readonly context: PurchaseContext;
  readonly reservation: Reservation | null;
  readonly stoppedBy: string | null;
}

/** Saga v3's second step: CreateShipment, then the commit with the shipment it created. */
export interface ShipAndCommitInput extends CreateShipmentInput {
  readonly commit: Omit<CommitInput, 'shipmentId' | 'shipmentStatus' | 'address'>;
}

/**
 * CreateShipment's failures are thrown as `createShipment` throws them; once the shipment
 * exists the result always carries it, and `committed: false` (with why) leaves the commit to
 * the saga's own retried step.
 */
export interface ShippedAndCommitted {
  readonly shipment: ShipmentRef;
  readonly committed: boolean;
  /** The attempt's duration when this commit completed it (for the saga-duration metric). */
  readonly sagaSeconds: number | null;
  readonly stoppedBy: string | null;
}

export interface PurchaseActivities {
  loadPurchaseContext(input: LoadContextInput): Promise<PurchaseContext>;
  loadAndReserve(input: LoadAndReserveInput): Promise<LoadedAndReserved>;
  /** Reserves the promo redemption and the credit hold for the discounted total. */
  reserveCredit(input: ReserveInput): Promise<Reservation>;
  createShipment(input: CreateShipmentInput): Promise<ShipmentRef>;
  shipAndCommit(input: ShipAndCommitInput): Promise<ShippedAndCommitted>;
  findShipment(input: { purchaseId: string; requestId: string | null }): Promise<ShipmentRef | null>;
  commitPurchase(input: CommitInput): Promise<{ purchaseId: string; sagaSeconds: number | null }>;
  releaseCredit(input: { purchaseId: string; reason: string }): Promise<{ released: boolean }>;
  recordAttemptFailure(input: { purchaseId: string; problem: Record<string, unknown> }): Promise<void>;
  applyRefund(input: RefundInput): Promise<{ refundId: string; amount: number }>;
}

function platformFailure(
  error: unknown,
  notFoundCode: 'customer_not_found' | 'product_not_found' | null,
  id: string,
): unknown {
  if (!(error instanceof PlatformError)) return error;
  if (error.kind === 'not_found' && notFoundCode) {
    return refusal(
      new DomainError(
        notFoundCode,
        `The platform knows no ${notFoundCode === 'customer_not_found' ? 'customer' : 'product'} "${id}".`,
        { [notFoundCode === 'customer_not_found' ? 'customerId' : 'productId']: id },
      ),
    );
  }
  // Transient (and malformed answers, which are the platform's bug and may clear): retry.
  return ApplicationFailure.create({
    type: `platform_${error.kind}`,
    message: error.message,
    nonRetryable: false,
    details: [{ status: error.status, operation: error.operation }],
  });
}

/** The single steps the merged ones are made of (the activities of the same names). */
export interface SingleSteps {
  loadContext(input: LoadContextInput): Promise<PurchaseContext>;
  reserve(input: ReserveInput): Promise<Reservation>;
  createShipment(input: CreateShipmentInput): Promise<ShipmentRef>;
  commit(input: CommitInput): Promise<{ sagaSeconds: number | null }>;
}

/**
 * Saga v3's merged steps, built from the single ones: each stops where its first half does not
 * pass and reports how far it got. Exported so the saga's workflow tests run the same
 * composition over their scripted single steps.
 */
export function mergedPurchaseSteps(steps: SingleSteps): Pick<PurchaseActivities, 'loadAndReserve' | 'shipAndCommit'> {
  return {
    async loadAndReserve(input) {
      const context = await steps.loadContext(input);
      const stop = (why: unknown): LoadedAndReserved => ({ context, reservation: null, stoppedBy: describeError(why) });
      let terms: { subtotal: number; currency: string };
      try {
        const refused = checkPurchasable(context.product, input.quantity, input.expectedUnitPrice ?? undefined);
        if (refused) return stop(`${refused.code}: ${refused.detail}`);
        terms = priceOf(context.product, input.quantity);
      } catch (error) {
        return stop(error);
      }
      try {
        const reservation = await steps.reserve({
          purchaseId: input.purchaseId,
          customerId: input.customerId,
          productId: context.product.id,
          subtotal: terms.subtotal,
          currency: terms.currency,
          promoCode: input.promoCode,
          workflowId: input.workflowId,
        });
        return { context, reservation, stoppedBy: null };
      } catch (error) {
        // The reservation's refusal is the answer (asking again would refuse again); anything
        // else is left to the saga's own reserve step and its retries.
        if (error instanceof ApplicationFailure && error.nonRetryable) throw error;
        return stop(error);
      }
    },

    async shipAndCommit({ commit, ...request }) {
      const shipment = await steps.createShipment(request);
      try {
        const { sagaSeconds } = await steps.commit({
          ...commit,
          shipmentId: shipment.id,
          shipmentStatus: shipment.status,
          address: shipment.address ?? request.address,
        });
        return { shipment, committed: true, sagaSeconds, stoppedBy: null };
      } catch (error) {
        return { shipment, committed: false, sagaSeconds: null, stoppedBy: describeError(error) };
      }
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function createPurchaseActivities(deps: ActivityDeps): PurchaseActivities {
  const { db } = deps.database;
  const log = (): ReturnType<typeof Context.current>['log'] => Context.current().log;

  async function loadContext({ customerId, productId, requestId }: LoadContextInput): Promise<PurchaseContext> {
    // Always fresh from the platform: the price charged and the address shipped to are
    // never served from a cache (the accuracy rule in the README).
    const platform = deps.platform(requestId ?? undefined);
    const [customer, product] = await Promise.all([
      platform.getCustomer(customerId, { fresh: true }).catch((error: unknown) => {
        throw platformFailure(error, 'customer_not_found', customerId);
      }),
      platform.getProduct(productId, { fresh: true }).catch((error: unknown) => {
        throw platformFailure(error, 'product_not_found', productId);
      }),
    ]);
    return {
      customer: { id: customer.id, address: addressOf(customer.address) },
      product: {
        id: product.id,
        name: product.name,
        unitPrice: product.price.amount,
        currency: product.price.currency,
        active: product.active,
      },
    };
  }

  async function createShipment(input: CreateShipmentInput): Promise<ShipmentRef> {
    const attempt = Context.current().info.attempt;
    try {
      const shipment = await deps.platform(input.requestId ?? undefined).createShipment(input.purchaseId, {
        customerId: input.customerId,
        productId: input.productId,
        quantity: input.quantity,
        address: {
          line1: input.address.line1,
          ...(input.address.line2 ? { line2: input.address.line2 } : {}),
          city: input.address.city,
          postalCode: input.address.postalCode,
          country: input.address.country,
        },
      });
      return { id: shipment.id, status: shipment.status, address: addressOf(shipment.address) };
    } catch (error) {
      if (error instanceof PlatformError && (error.kind === 'rejected' || error.kind === 'not_found')) {
        // A 4xx: the platform refused this shipment; retrying the same request cannot help.
        throw ApplicationFailure.create({
          type: 'shipment_rejected',
          message: error.message,
          nonRetryable: true,
          details: [{ platformStatus: error.status, platformCode: error.platformCode, platformReason: error.message }],
        });
      }
      log().warn('createShipment failed, will retry within the budget', {
        purchaseId: input.purchaseId,
        attempt,
        error: String(error),
      });
      throw platformFailure(error, null, input.purchaseId);
    }
  }

  const reserve = (input: ReserveInput): Promise<Reservation> => refusingDomainErrors(() => reserveCredit(db, input));
  async function commit(input: CommitInput): Promise<{ purchaseId: string; sagaSeconds: number | null }> {
    const purchase = await commitPurchase(db, input);
    return { purchaseId: purchase.id, sagaSeconds: purchase.attemptSeconds };
  }

  return {
    loadPurchaseContext: loadContext,
    reserveCredit: reserve,
    createShipment,
    commitPurchase: commit,
    ...mergedPurchaseSteps({ loadContext, reserve, createShipment, commit }),

    async findShipment({ purchaseId, requestId }) {
      try {
        const shipment = await deps.platform(requestId ?? undefined).findShipmentByIdempotencyKey(purchaseId);
        return shipment ? { id: shipment.id, status: shipment.status, address: addressOf(shipment.address) } : null;
      } catch (error) {
        throw platformFailure(error, null, purchaseId);
      }
    },

    async releaseCredit({ purchaseId, reason }) {
      return { released: await releaseCredit(db, purchaseId, reason) };
    },

    async recordAttemptFailure({ purchaseId, problem }) {
      await recordAttemptFailure(db, purchaseId, problem);
    },

    async applyRefund(input) {
      const refund = await refusingDomainErrors(() => applyRefund(db, input));
      return { refundId: refund.id, amount: refund.amount };
    },
  };
}
