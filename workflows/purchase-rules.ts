/**
 * The purchase saga's pure steps: pricing a purchase, pricing what was reserved, and whether an
 * operator's cancel may be taken. Deterministic and free of I/O.
 *
 * Whatever input or platform answer reaches them, they return a value or throw a
 * `PurchaseRefused` — never anything else. That matters: an error thrown by workflow code that
 * is not a Temporal failure fails the *workflow task*, which Temporal retries forever, so the
 * caller would wait on a saga that never moves and an attempt that stays pending.
 * `pureStep` turns any other throw into a refusal with `internal_error`.
 */
import type { PurchaseStage } from '../src/contracts/purchases.js';
import {
  checkPurchasable,
  priceOf,
  pricingOfReservation,
  type Pricing,
  type ProductFacts,
  type PurchaseRefusal,
} from '../src/domain/purchase.js';

/**
 * A purchase that cannot go on: the caller's problem, and the reason recorded on the hold if
 * one must be released. Thrown by the saga's steps, caught once by the saga.
 */
export class PurchaseRefused extends Error {
  constructor(
    readonly refusal: PurchaseRefusal,
    readonly releaseReason: string,
  ) {
    super(`${refusal.code}: ${refusal.detail}`);
    this.name = 'PurchaseRefused';
  }
}

/** Runs a pure step; anything it throws other than a `PurchaseRefused` becomes one (`internal_error`). */
export function pureStep<T>(step: string, releaseReason: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof PurchaseRefused) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new PurchaseRefused(
      { code: 'internal_error', detail: `The purchase could not ${step}: ${message}`, extensions: { step } },
      releaseReason,
    );
  }
}

/** What the caller asked for, as far as pricing goes. */
export interface PriceRequest {
  readonly quantity: number;
  readonly expectedUnitPrice?: number | undefined;
}

/**
 * 2. Validates the product read and prices the purchase before anything is reserved: inactive
 * product, changed price, quantity out of bounds, a total with no exact number.
 */
export function priceOrRefuse(product: ProductFacts, request: PriceRequest): Pricing {
  return pureStep('be priced', 'validation_failed', () => {
    const refusal = checkPurchasable(product, request.quantity, request.expectedUnitPrice);
    if (refusal) throw new PurchaseRefused(refusal, 'validation_failed');
    return priceOf(product, request.quantity);
  });
}

/** What the purchase charges once reserved: the reservation's terms (see `pricingOfReservation`). */
export function chargedPricing(
  product: ProductFacts,
  quantity: number,
  reservation: { readonly total: number; readonly discount: number },
): Pricing {
  return pureStep('be priced from its reservation', 'pricing_failed', () => {
    const pricing = pricingOfReservation(priceOf(product, quantity, reservation.discount), reservation);
    const amounts = [pricing.unitPrice, pricing.subtotal, pricing.discount, pricing.total];
    // Commit would refuse them for good (and be retried forever): stop here, while it can be undone.
    if (!amounts.every((n) => Number.isSafeInteger(n) && n >= 0))
      throw new Error(`the reserved terms are not amounts: ${JSON.stringify(reservation)}`);
    return pricing;
  });
}

/** Stages in which the saga waits on the platform, where an operator's cancel can act. */
export const CANCELLABLE_STAGES: readonly PurchaseStage[] = ['shipping', 'verifying_shipment'];

/** Why a `cancelPurchase` request is refused in this stage, or null when it is taken. */
export function cancelRefusal(stage: PurchaseStage, request: unknown): string | null {
  const reason: unknown = request && typeof request === 'object' && 'reason' in request ? request.reason : undefined;
  if (typeof reason !== 'string' || reason.trim() === '') return 'cancelPurchase needs a non-empty "reason"';
  if (!CANCELLABLE_STAGES.includes(stage)) {
    return `purchase is in stage "${stage}": only a purchase waiting on shipping or verifying_shipment can be cancelled`;
  }
  return null;
}
