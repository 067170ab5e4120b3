/**
 * Promo-code rules: eligibility and discount maths. Pure, exhaustively unit-tested.
 *
 * Rounding: a percent discount is `floor(subtotal × percent / 100)` in minor units — rounded
 * down, so a customer never gets more than the advertised percentage and the merchant never
 * loses a fraction of a cent. An amount-off discount is the amount itself. Either is capped
 * at the subtotal: a purchase never costs less than 0.
 */

export type PromoKind = 'percent' | 'amount';

/** A code's terms: everything about it but its name. What admins create and change. */
export interface PromoTerms {
  readonly kind: PromoKind;
  readonly percentOff: number | null;
  readonly amountOff: number | null;
  readonly currency: string | null;
  readonly startsAt: Date | null;
  readonly expiresAt: Date | null;
  readonly maxRedemptions: number | null;
  readonly maxRedemptionsPerCustomer: number | null;
  readonly minSubtotal: number | null;
  readonly productIds: readonly string[] | null;
  readonly active: boolean;
}

/** A code with its terms: what a purchase is judged against. */
export interface PromoRules extends PromoTerms {
  readonly code: string;
}

export interface PromoUsage {
  /** Committed plus reserved (in-flight) redemptions of the code. */
  readonly total: number;
  /** The same, for this customer. */
  readonly byCustomer: number;
}

export type PromoInvalidReason =
  | 'unknown'
  | 'inactive'
  | 'expired'
  | 'not_started'
  | 'exhausted'
  | 'customer_limit'
  | 'min_subtotal'
  | 'not_applicable'
  | 'currency_mismatch';

export type PromoDecision =
  | { readonly ok: true; readonly discount: number }
  | { readonly ok: false; readonly reason: PromoInvalidReason; readonly detail: string };

export interface PromoPurchase {
  readonly productId: string;
  readonly subtotal: number;
  readonly currency: string;
  readonly at: Date;
}

export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

export function discountFor(rules: Pick<PromoRules, 'kind' | 'percentOff' | 'amountOff'>, subtotal: number): number {
  const raw =
    rules.kind === 'percent' ? Math.floor((subtotal * (rules.percentOff ?? 0)) / 100) : (rules.amountOff ?? 0);
  return Math.max(0, Math.min(raw, subtotal));
}

/** Whether `rules` apply to this purchase given the code's usage so far, and the discount. */
export function decidePromo(rules: PromoRules | null, usage: PromoUsage, purchase: PromoPurchase): PromoDecision {
  if (!rules) return { ok: false, reason: 'unknown', detail: 'No such promo code.' };
  if (!rules.active) return { ok: false, reason: 'inactive', detail: `The code ${rules.code} is no longer active.` };
  if (rules.startsAt && purchase.at < rules.startsAt)
    return {
      ok: false,
      reason: 'not_started',
      detail: `The code ${rules.code} is valid from ${rules.startsAt.toISOString()}.`,
    };
  if (rules.expiresAt && purchase.at >= rules.expiresAt)
    return {
      ok: false,
      reason: 'expired',
      detail: `The code ${rules.code} expired at ${rules.expiresAt.toISOString()}.`,
    };
  if (rules.productIds && rules.productIds.length > 0 && !rules.productIds.includes(purchase.productId)) {
    return {
      ok: false,
      reason: 'not_applicable',
      detail: `The code ${rules.code} does not apply to product ${purchase.productId}.`,
    };
  }
  if (rules.kind === 'amount' && rules.currency !== purchase.currency) {
    return {
      ok: false,
      reason: 'currency_mismatch',
      detail: `The code ${rules.code} is in ${rules.currency ?? '?'}; the purchase is in ${purchase.currency}.`,
    };
  }
  if (rules.minSubtotal !== null && purchase.subtotal < rules.minSubtotal) {
    return {
      ok: false,
      reason: 'min_subtotal',
      detail: `The code ${rules.code} needs a subtotal of at least ${rules.minSubtotal}.`,
    };
  }
  if (rules.maxRedemptions !== null && usage.total >= rules.maxRedemptions) {
    return { ok: false, reason: 'exhausted', detail: `The code ${rules.code} has been used up.` };
  }
  if (rules.maxRedemptionsPerCustomer !== null && usage.byCustomer >= rules.maxRedemptionsPerCustomer) {
    return {
      ok: false,
      reason: 'customer_limit',
      detail: `This customer has already used ${rules.code} the maximum number of times.`,
    };
  }
  return { ok: true, discount: discountFor(rules, purchase.subtotal) };
}
