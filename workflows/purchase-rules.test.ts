/**
 * The saga's pure steps never throw anything but a `PurchaseRefused` with a catalogue code,
 * whatever the caller sent and whatever the platform or a step answered: an error of any
 * other kind in workflow code would fail the workflow task, forever.
 */
import { describe, expect, it } from 'vitest';
import type { PurchaseStage } from '../src/contracts/purchases.js';
import { isErrorCode } from '../src/domain/errors.js';
import type { Pricing, ProductFacts } from '../src/domain/purchase.js';
import { cancelRefusal, chargedPricing, priceOrRefuse, PurchaseRefused, pureStep } from './purchase-rules.js';

const PRODUCT: ProductFacts = { id: 'prod_x', name: 'X', unitPrice: 1_250, currency: 'USD', active: true };

const ODD_NUMBERS = [
  0,
  1,
  2,
  3,
  100,
  101,
  -1,
  1.5,
  999,
  1e11,
  2 ** 52,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  2 ** 60,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];
const ODD_PRODUCTS: unknown[] = [
  ...ODD_NUMBERS.map((unitPrice) => ({ ...PRODUCT, unitPrice })),
  { ...PRODUCT, active: false },
  { ...PRODUCT, unitPrice: '1250' },
  { ...PRODUCT, currency: undefined },
  {},
  null,
  undefined,
  'prod_x',
];

/** Runs a step; returns what it returned, or the refusal it threw. Anything else fails the test. */
function outcomeOf<T>(step: () => T): { value: T } | { refused: PurchaseRefused } {
  try {
    return { value: step() };
  } catch (error) {
    if (!(error instanceof PurchaseRefused)) throw new Error(`threw ${String(error)}, not a PurchaseRefused`);
    expect(isErrorCode(error.refusal.code), error.refusal.code).toBe(true);
    return { refused: error };
  }
}

function expectAmounts(pricing: Pricing): void {
  for (const amount of [pricing.unitPrice, pricing.subtotal, pricing.discount, pricing.total]) {
    expect(Number.isSafeInteger(amount) && amount >= 0, `${amount} in ${JSON.stringify(pricing)}`).toBe(true);
  }
  expect(pricing.total).toBe(pricing.subtotal - pricing.discount);
}

describe('priceOrRefuse', () => {
  it('prices or refuses every product × quantity × expected price, never throwing anything else', () => {
    let priced = 0;
    let refused = 0;
    for (const product of ODD_PRODUCTS) {
      for (const quantity of ODD_NUMBERS) {
        for (const expectedUnitPrice of [undefined, 1_250, 999, Number.NaN]) {
          const result = outcomeOf(() => priceOrRefuse(product as ProductFacts, { quantity, expectedUnitPrice }));
          if ('value' in result) {
            expectAmounts(result.value);
            priced += 1;
          } else {
            refused += 1;
          }
        }
      }
    }
    expect(priced).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(priced);
  });

  it('refuses a total past 2^53 with amount_out_of_range, before any reservation', () => {
    const result = outcomeOf(() => priceOrRefuse({ ...PRODUCT, unitPrice: 5_000_000_000_000_000 }, { quantity: 2 }));
    expect('refused' in result && result.refused.refusal.code).toBe('amount_out_of_range');
    expect('refused' in result && result.refused.releaseReason).toBe('validation_failed');
  });

  it('answers internal_error for a product it cannot read', () => {
    const result = outcomeOf(() => priceOrRefuse(null as unknown as ProductFacts, { quantity: 1 }));
    expect('refused' in result && result.refused.refusal).toMatchObject({
      code: 'internal_error',
      extensions: { step: 'be priced' },
    });
  });

  it('prices a valid purchase exactly', () => {
    expect(priceOrRefuse(PRODUCT, { quantity: 3, expectedUnitPrice: 1_250 })).toEqual({
      unitPrice: 1_250,
      quantity: 3,
      subtotal: 3_750,
      discount: 0,
      total: 3_750,
      currency: 'USD',
    });
  });
});

describe('chargedPricing', () => {
  it('charges the reserved terms or refuses, for any reservation a step could answer', () => {
    const reservations: unknown[] = [
      ...ODD_NUMBERS.flatMap((total) => [0, 100, -5, Number.NaN, 2 ** 60].map((discount) => ({ total, discount }))),
      {},
      null,
      undefined,
      { total: '100', discount: 0 },
    ];
    let charged = 0;
    for (const reservation of reservations) {
      for (const quantity of [1, 2, 100]) {
        const result = outcomeOf(() =>
          chargedPricing(PRODUCT, quantity, reservation as { total: number; discount: number }),
        );
        if ('value' in result) {
          expectAmounts(result.value);
          charged += 1;
        } else {
          expect(result.refused.releaseReason).toBe('pricing_failed');
        }
      }
    }
    expect(charged).toBeGreaterThan(0);
  });

  it("keeps the first reservation's terms when a re-executed step read another price", () => {
    expect(chargedPricing(PRODUCT, 2, { total: 1_700, discount: 300 })).toEqual({
      unitPrice: 1_000,
      quantity: 2,
      subtotal: 2_000,
      discount: 300,
      total: 1_700,
      currency: 'USD',
    });
  });
});

describe('pureStep', () => {
  it('passes values and refusals through, and turns anything else thrown into internal_error', () => {
    expect(pureStep('add', 'r', () => 1 + 1)).toBe(2);
    const refusal = new PurchaseRefused({ code: 'price_changed', detail: 'x', extensions: {} }, 'validation_failed');
    expect(() =>
      pureStep('check', 'r', () => {
        throw refusal;
      }),
    ).toThrow(refusal);
    const throwers: (() => never)[] = [
      () => {
        throw new RangeError('amount overflow');
      },
      () => {
        throw new TypeError('x is undefined');
      },
      // Errors the runtime throws on its own, not only ours.
      () => JSON.parse('{') as never,
      () => ([] as number[]).reduce((a, b) => a + b) as never,
    ];
    for (const thrower of throwers) {
      const result = outcomeOf(() => pureStep('compute', 'step_failed', thrower));
      expect('refused' in result && result.refused.refusal.code).toBe('internal_error');
      expect('refused' in result && result.refused.releaseReason).toBe('step_failed');
    }
  });
});

describe('cancelRefusal', () => {
  const stages: PurchaseStage[] = [
    'started',
    'loading',
    'reserving',
    'shipping',
    'verifying_shipment',
    'committing',
    'compensating',
    'completed',
    'failed',
  ];

  it.each(stages)('in stage %s', (stage) => {
    const waitingOnPlatform = stage === 'shipping' || stage === 'verifying_shipment';
    expect(cancelRefusal(stage, { reason: 'platform outage', actor: 'ops' })).toBe(
      waitingOnPlatform
        ? null
        : `purchase is in stage "${stage}": only a purchase waiting on shipping or verifying_shipment can be cancelled`,
    );
  });

  it('needs a non-empty reason', () => {
    for (const request of [{ reason: '' }, { reason: '  ' }, { reason: 42 }, {}, null, undefined, 'platform outage']) {
      expect(cancelRefusal('shipping', request)).toBe('cancelPurchase needs a non-empty "reason"');
    }
  });
});
