import { describe, expect, it } from 'vitest';
import { decidePromo, discountFor, normalizeCode, type PromoRules } from './promo.js';

const base: PromoRules = {
  code: 'SAVE10',
  kind: 'percent',
  percentOff: 10,
  amountOff: null,
  currency: null,
  startsAt: null,
  expiresAt: null,
  maxRedemptions: null,
  maxRedemptionsPerCustomer: null,
  minSubtotal: null,
  productIds: null,
  active: true,
};
const at = new Date('2026-06-01T00:00:00Z');
const purchase = { productId: 'prod_keyboard', subtotal: 8999, currency: 'USD', at };
const unused = { total: 0, byCustomer: 0 };

describe('discountFor', () => {
  it.each([
    [10, 8999, 899],
    [10, 9, 0],
    [33, 100, 33],
    [50, 1, 0],
    [100, 8999, 8999],
    [1, 99, 0],
    [15, 1999, 299],
  ])('percent %i of %i is %i (rounded down)', (percent, subtotal, expected) => {
    expect(discountFor({ kind: 'percent', percentOff: percent, amountOff: null }, subtotal)).toBe(expected);
  });
  it.each([
    [500, 8999, 500],
    [10_000, 8999, 8999],
    [0, 100, 0],
  ])('amount %i off %i is %i (never below zero)', (amount, subtotal, expected) => {
    expect(discountFor({ kind: 'amount', percentOff: null, amountOff: amount }, subtotal)).toBe(expected);
  });
});

describe('decidePromo', () => {
  it('applies a valid code', () => {
    expect(decidePromo(base, unused, purchase)).toEqual({ ok: true, discount: 899 });
  });
  const cases: [string, PromoRules | null, { total: number; byCustomer: number }, Partial<typeof purchase>, string][] =
    [
      ['unknown', null, unused, {}, 'unknown'],
      ['inactive', { ...base, active: false }, unused, {}, 'inactive'],
      ['not started', { ...base, startsAt: new Date('2026-07-01T00:00:00Z') }, unused, {}, 'not_started'],
      ['expired', { ...base, expiresAt: new Date('2026-05-01T00:00:00Z') }, unused, {}, 'expired'],
      ['expired at the instant', { ...base, expiresAt: at }, unused, {}, 'expired'],
      ['other product', { ...base, productIds: ['prod_mouse'] }, unused, {}, 'not_applicable'],
      [
        'currency',
        { ...base, kind: 'amount', percentOff: null, amountOff: 500, currency: 'EUR' },
        unused,
        {},
        'currency_mismatch',
      ],
      ['min subtotal', { ...base, minSubtotal: 9000 }, unused, {}, 'min_subtotal'],
      ['exhausted', { ...base, maxRedemptions: 10 }, { total: 10, byCustomer: 0 }, {}, 'exhausted'],
      ['customer limit', { ...base, maxRedemptionsPerCustomer: 1 }, { total: 3, byCustomer: 1 }, {}, 'customer_limit'],
    ];
  it.each(cases)('refuses %s', (_label, rules, usage, change, reason) => {
    const decision = decidePromo(rules, usage, { ...purchase, ...change });
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect(decision.reason).toBe(reason);
  });
  it('accepts the last redemption and a listed product, at the start instant', () => {
    expect(
      decidePromo(
        { ...base, maxRedemptions: 10, productIds: ['prod_keyboard'], startsAt: at, minSubtotal: 8999 },
        { total: 9, byCustomer: 0 },
        purchase,
      ).ok,
    ).toBe(true);
  });
  it('accepts an amount-off code in the purchase currency', () => {
    expect(
      decidePromo({ ...base, kind: 'amount', percentOff: null, amountOff: 1000, currency: 'USD' }, unused, purchase),
    ).toEqual({ ok: true, discount: 1000 });
  });
  it('normalizes codes', () => {
    expect(normalizeCode('  save10 ')).toBe('SAVE10');
  });
});
