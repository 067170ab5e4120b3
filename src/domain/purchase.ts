/**
 * Pure rules of a purchase and of refunds: pricing, validation, refundable amounts.
 * Used by the saga (inside Temporal's deterministic sandbox) and by activities alike.
 */
import { multiply } from './money.js';
import type { ErrorCode, ProblemExtensions } from './errors.js';

export interface ProductFacts {
  readonly id: string;
  readonly name: string;
  readonly unitPrice: number;
  readonly currency: string;
  readonly active: boolean;
}

export interface Pricing {
  readonly unitPrice: number;
  readonly quantity: number;
  readonly subtotal: number;
  readonly discount: number;
  readonly total: number;
  readonly currency: string;
}

/** A refusal the caller must hear about: code, words, and machine-readable extras. */
export interface PurchaseRefusal {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly extensions: ProblemExtensions;
}

export const MAX_QUANTITY = 100;

/**
 * Checks what can be checked before money is touched; null when the purchase may proceed, and
 * then `priceOf(product, quantity)` cannot throw.
 */
export function checkPurchasable(
  product: ProductFacts,
  quantity: number,
  expectedUnitPrice: number | undefined,
): PurchaseRefusal | null {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    return { code: 'validation_failed', detail: `quantity must be between 1 and ${MAX_QUANTITY}`, extensions: {} };
  }
  if (!product.active) {
    return {
      code: 'product_unavailable',
      detail: `Product "${product.id}" is not available for purchase.`,
      extensions: { productId: product.id },
    };
  }
  if (expectedUnitPrice !== undefined && expectedUnitPrice !== product.unitPrice) {
    return {
      code: 'price_changed',
      detail: `The price of "${product.id}" is ${product.unitPrice} ${product.currency}, not the expected ${expectedUnitPrice}.`,
      extensions: { currentPrice: { amount: product.unitPrice, currency: product.currency }, expectedUnitPrice },
    };
  }
  // The platform accepts any integer price; a price × quantity past 2^53 has no exact number.
  const subtotal = product.unitPrice * quantity;
  if (!Number.isSafeInteger(product.unitPrice) || product.unitPrice < 0 || !Number.isSafeInteger(subtotal)) {
    return {
      code: 'amount_out_of_range',
      detail: `${quantity} × ${product.unitPrice} ${product.currency} is not an amount the ledger can hold exactly (0 to ${Number.MAX_SAFE_INTEGER} minor units).`,
      extensions: {
        unitPrice: { amount: product.unitPrice, currency: product.currency },
        quantity,
        maxAmount: Number.MAX_SAFE_INTEGER,
      },
    };
  }
  return null;
}

export function priceOf(product: ProductFacts, quantity: number, discount = 0): Pricing {
  const subtotal = multiply(product.unitPrice, quantity);
  const applied = Math.min(Math.max(discount, 0), subtotal);
  return {
    unitPrice: product.unitPrice,
    quantity,
    subtotal,
    discount: applied,
    total: subtotal - applied,
    currency: product.currency,
  };
}

/**
 * The pricing a saga charges: its reservation's terms. They equal `priceOf` of the product it
 * read, except when a step was executed again after a worker died (local activities of an
 * unfinished workflow task run again, reading the platform again) and the price changed in
 * between: the first reservation stands, and unit price and subtotal follow from it.
 */
export function pricingOfReservation(
  read: Pricing,
  reservation: { readonly total: number; readonly discount: number },
): Pricing {
  if (reservation.total === read.total && reservation.discount === read.discount) return read;
  // subtotal = unitPrice × quantity when it was reserved, so the division is exact; the total
  // is the hold's amount in any case (it is what gets captured).
  const subtotal = reservation.total + reservation.discount;
  return {
    ...read,
    unitPrice: Math.round(subtotal / read.quantity),
    subtotal,
    discount: reservation.discount,
    total: reservation.total,
  };
}

export type RefundDecision =
  | {
      readonly ok: true;
      readonly amount: number;
      readonly refundedAfter: number;
      readonly statusAfter: 'partially_refunded' | 'refunded';
    }
  | { readonly ok: false; readonly refusal: PurchaseRefusal };

/** How much a refund may move: never more than `total - refunded` (invariant I4). */
export function decideRefund(total: number, refunded: number, requested: number | undefined): RefundDecision {
  const refundable = total - refunded;
  if (refundable <= 0) {
    return {
      ok: false,
      refusal: {
        code: 'purchase_fully_refunded',
        detail: 'The purchase is already fully refunded.',
        extensions: { refundable: 0 },
      },
    };
  }
  const amount = requested ?? refundable;
  if (amount > refundable) {
    return {
      ok: false,
      refusal: {
        code: 'refund_exceeds_refundable',
        detail: `At most ${refundable} can still be refunded; ${amount} was asked.`,
        extensions: { refundable, requested: amount },
      },
    };
  }
  const refundedAfter = refunded + amount;
  return { ok: true, amount, refundedAfter, statusAfter: refundedAfter === total ? 'refunded' : 'partially_refunded' };
}

/** The hold of a purchase has an id derived from the purchase's, so a retried reserve finds it. */
export function holdIdFor(purchaseId: string): string {
  return `hold_${purchaseId.replace(/^pur_/, '')}`;
}

export function purchaseWorkflowId(purchaseId: string): string {
  return `purchase-${purchaseId}`;
}

export function refundWorkflowId(refundId: string): string {
  return `refund-${refundId}`;
}
