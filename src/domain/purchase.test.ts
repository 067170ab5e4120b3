import { describe, expect, it } from 'vitest';
import {
  checkPurchasable,
  decideRefund,
  holdIdFor,
  priceOf,
  pricingOfReservation,
  type ProductFacts,
} from './purchase.js';

const keyboard: ProductFacts = {
  id: 'prod_keyboard',
  name: 'Keyboard',
  unitPrice: 8999,
  currency: 'USD',
  active: true,
};

describe('checkPurchasable', () => {
  it('accepts an active product at its price', () => {
    expect(checkPurchasable(keyboard, 1, undefined)).toBeNull();
    expect(checkPurchasable(keyboard, 100, 8999)).toBeNull();
  });
  it('refuses an inactive product', () => {
    expect(checkPurchasable({ ...keyboard, active: false }, 1, undefined)?.code).toBe('product_unavailable');
  });
  it('refuses a changed price and reports the current one', () => {
    const refusal = checkPurchasable(keyboard, 1, 7999);
    expect(refusal?.code).toBe('price_changed');
    expect(refusal?.extensions.currentPrice).toEqual({ amount: 8999, currency: 'USD' });
  });
  it('refuses a price × quantity with no exact number (past 2^53), and a price that is no amount, before anything is priced', () => {
    expect(checkPurchasable({ ...keyboard, unitPrice: 5_000_000_000_000_000 }, 2, undefined)).toMatchObject({
      code: 'amount_out_of_range',
      extensions: { quantity: 2, maxAmount: Number.MAX_SAFE_INTEGER },
    });
    expect(checkPurchasable({ ...keyboard, unitPrice: Number.MAX_SAFE_INTEGER }, 1, undefined)).toBeNull();
    for (const unitPrice of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(checkPurchasable({ ...keyboard, unitPrice }, 1, undefined)?.code).toBe('amount_out_of_range');
    }
    expect(() => priceOf({ ...keyboard, unitPrice: 5_000_000_000_000_000 }, 2)).toThrow(RangeError);
  });
  it.each([0, -1, 101, 1.5])('refuses quantity %s', (quantity) => {
    expect(checkPurchasable(keyboard, quantity, undefined)?.code).toBe('validation_failed');
  });
});

describe('priceOf', () => {
  it('multiplies in integers', () => {
    expect(priceOf(keyboard, 3)).toEqual({
      unitPrice: 8999,
      quantity: 3,
      subtotal: 26997,
      discount: 0,
      total: 26997,
      currency: 'USD',
    });
  });
  it('never lets a discount make the total negative', () => {
    expect(priceOf(keyboard, 1, 10_000).total).toBe(0);
    expect(priceOf(keyboard, 1, -5).discount).toBe(0);
  });
});

describe('pricingOfReservation', () => {
  const product: ProductFacts = { id: 'prod_x', name: 'X', unitPrice: 1_250, currency: 'USD', active: true };

  it('is the pricing read when the reservation agrees with it', () => {
    const read = priceOf(product, 2, 300);
    expect(pricingOfReservation(read, { total: 2_200, discount: 300 })).toBe(read);
  });

  it('charges the reserved terms when a re-executed step read another price', () => {
    // Reserved at 1,000 × 2 with 300 off; the price has since gone up to 1,250.
    const read = priceOf(product, 2, 300);
    expect(pricingOfReservation(read, { total: 1_700, discount: 300 })).toEqual({
      unitPrice: 1_000,
      quantity: 2,
      subtotal: 2_000,
      discount: 300,
      total: 1_700,
      currency: 'USD',
    });
  });
});

describe('decideRefund', () => {
  it('defaults to everything refundable', () => {
    expect(decideRefund(1000, 300, undefined)).toEqual({
      ok: true,
      amount: 700,
      refundedAfter: 1000,
      statusAfter: 'refunded',
    });
  });
  it('allows partial refunds', () => {
    expect(decideRefund(1000, 0, 400)).toEqual({
      ok: true,
      amount: 400,
      refundedAfter: 400,
      statusAfter: 'partially_refunded',
    });
  });
  it('refuses more than refundable with the refundable amount', () => {
    const d = decideRefund(1000, 600, 401);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.refusal).toMatchObject({ code: 'refund_exceeds_refundable', extensions: { refundable: 400 } });
  });
  it('refuses a fully refunded purchase', () => {
    const d = decideRefund(1000, 1000, undefined);
    expect(!d.ok && d.refusal.code).toBe('purchase_fully_refunded');
  });
});

describe('ids', () => {
  it('derives the hold id from the purchase id', () => {
    expect(holdIdFor('pur_01ABC')).toBe('hold_01ABC');
  });
});
