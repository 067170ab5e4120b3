/** Promo codes: admin CRUD with audit, and their use in the purchase saga, on the real stack. */
import { describe, expect, it } from 'vitest';
import type {
  CreditBalance,
  Problem,
  PromoCode,
  PromoCodeDeleted,
  PromoCodeWithAudit,
  Purchase,
  Refund,
} from '../../contracts/index.js';
import { http, newKey, type HttpResult } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack({ env: { PURCHASE_SYNC_TIMEOUT_MS: '20000' } }, (started, control) => {
  stack = started;
  platform = control;
});

const url = (path: string): string => `${stack.apiUrl}${path}`;
type PurchaseOrProblem = Purchase & Omit<Problem, 'status'>;

let codeCounter = 0;
function uniqueCode(prefix: string): string {
  codeCounter += 1;
  return `${prefix}${Date.now().toString(36).toUpperCase()}${codeCounter}`;
}

async function createCode(body: Record<string, unknown>): Promise<HttpResult<PromoCode & Problem>> {
  return http<PromoCode & Problem>('POST', url('/v1/promo-codes'), { token: TOKENS.admin, body });
}

async function funded(amount: number): Promise<string> {
  const customerId = await platform.newCustomer();
  const res = await http('POST', url(`/v1/customers/${customerId}/credit/grants`), {
    token: TOKENS.support,
    idempotencyKey: newKey(),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
  return customerId;
}

function buy(body: Record<string, unknown>): Promise<HttpResult<PurchaseOrProblem>> {
  return http<PurchaseOrProblem>('POST', url('/v1/purchases'), {
    token: TOKENS.storefront,
    idempotencyKey: newKey('buy'),
    body,
  });
}

async function getCode(code: string): Promise<PromoCodeWithAudit> {
  return (await http<PromoCodeWithAudit>('GET', url(`/v1/promo-codes/${code}`), { token: TOKENS.admin })).body;
}

describe('promo code administration', () => {
  it('creates, reads with its audit trail, changes and lists codes; admin only', async () => {
    const code = uniqueCode('Save');
    const created = await createCode({ code, kind: 'percent', percentOff: 15, maxRedemptions: 100, minSubtotal: 1000 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      code: code.toUpperCase(),
      kind: 'percent',
      percentOff: 15,
      amountOff: null,
      active: true,
      redemptions: 0,
      reserved: 0,
    });
    expect((await createCode({ code: code.toLowerCase(), kind: 'percent', percentOff: 5 })).body.code).toBe(
      'promo_code_exists',
    );

    const patched = await http<PromoCode>('PATCH', url(`/v1/promo-codes/${code}`), {
      token: TOKENS.admin,
      body: { percentOff: 20, expiresAt: '2999-01-01T00:00:00Z' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ percentOff: 20, expiresAt: '2999-01-01T00:00:00.000Z' });
    const read = await getCode(code);
    expect(read.audit.map((a) => [a.action, a.actor])).toEqual([
      ['create', 'root'],
      ['update', 'root'],
    ]);
    expect(read.audit[1]?.before).toMatchObject({ percentOff: 15 });
    expect(read.audit[1]?.after).toMatchObject({ percentOff: 20 });

    const list = await http<{ data: PromoCode[] }>('GET', url('/v1/promo-codes?limit=100'), { token: TOKENS.admin });
    expect(list.body.data.map((c) => c.code)).toContain(code.toUpperCase());
    for (const token of [TOKENS.support, TOKENS.storefront]) {
      expect((await http('GET', url('/v1/promo-codes'), { token })).status).toBe(403);
      expect(
        (
          await http('POST', url('/v1/promo-codes'), {
            token,
            body: { code: 'NOPE123', kind: 'percent', percentOff: 5 },
          })
        ).status,
      ).toBe(403);
    }
  });

  it('validates codes and rules', async () => {
    const bad: Record<string, unknown>[] = [
      { code: 'X', kind: 'percent', percentOff: 10 },
      { code: uniqueCode('P'), kind: 'percent' },
      { code: uniqueCode('P'), kind: 'percent', percentOff: 101 },
      { code: uniqueCode('A'), kind: 'amount', amountOff: 500 },
      { code: uniqueCode('A'), kind: 'amount', amountOff: 500, currency: 'USD', percentOff: 5 },
      { code: uniqueCode('U'), kind: 'percent', percentOff: 5, surprise: true },
      { code: uniqueCode('M'), kind: 'percent', percentOff: 5, maxRedemptions: 3_036_113_867_896 },
      // Outside the shared instant schema (years 1970–2999, offsets within ±14:00): a start in
      // year 0022 was a 500 (Schemathesis), an offset past ±15:59 is one Postgres refuses.
      { code: uniqueCode('D'), kind: 'percent', percentOff: 5, startsAt: '0022-01-01T00:00:00Z' },
      { code: uniqueCode('D'), kind: 'percent', percentOff: 5, expiresAt: '3000-01-01T00:00:00Z' },
      { code: uniqueCode('D'), kind: 'percent', percentOff: 5, startsAt: '2026-01-01T00:00:00-22:00' },
    ];
    for (const body of bad) {
      const res = await createCode(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
    // Schema-valid, but a window that could never be used: JSON Schema cannot compare dates.
    const window = {
      code: uniqueCode('W'),
      kind: 'percent',
      percentOff: 5,
      startsAt: '2027-01-01T00:00:00Z',
      expiresAt: '2026-01-01T00:00:00Z',
    };
    const empty = await createCode(window);
    expect({ status: empty.status, code: empty.body.code }).toEqual({ status: 422, code: 'promo_code_rules_invalid' });
    // The widest window the schema admits is stored and read back, in UTC.
    const widest = await createCode({
      code: uniqueCode('B'),
      kind: 'percent',
      percentOff: 5,
      startsAt: '1970-01-01T00:00:00+14:00',
      expiresAt: '2999-12-31T23:59:59.999-14:00',
    });
    expect(widest.status, JSON.stringify(widest.body)).toBe(201);
    expect(widest.body).toMatchObject({
      startsAt: '1969-12-31T10:00:00.000Z',
      expiresAt: '3000-01-01T13:59:59.999Z',
    });
    expect((await http<Problem>('GET', url('/v1/promo-codes/NOSUCHCODE'), { token: TOKENS.admin })).body.code).toBe(
      'promo_code_not_found',
    );
  });

  it('deletes an unused code and deactivates a used one, keeping its history', async () => {
    const unused = uniqueCode('Gone');
    await createCode({ code: unused, kind: 'percent', percentOff: 10 });
    const del = await http<PromoCodeDeleted>('DELETE', url(`/v1/promo-codes/${unused}`), { token: TOKENS.admin });
    expect(del.body).toMatchObject({ deleted: true });
    expect((await http('GET', url(`/v1/promo-codes/${unused}`), { token: TOKENS.admin })).status).toBe(404);

    const used = uniqueCode('Used');
    await createCode({ code: used, kind: 'amount', amountOff: 500, currency: 'USD' });
    const customerId = await funded(10_000);
    expect((await buy({ customerId, productId: 'prod_cable', promoCode: used })).status).toBe(201);
    const deactivated = await http<PromoCodeDeleted>('DELETE', url(`/v1/promo-codes/${used}`), { token: TOKENS.admin });
    expect(deactivated.body).toMatchObject({ deleted: false, promoCode: { active: false, redemptions: 1 } });
    expect((await getCode(used)).audit.map((a) => a.action)).toEqual(['create', 'deactivate']);
    const after = await buy({ customerId, productId: 'prod_cable', promoCode: used });
    expect(after.status).toBe(422);
    expect(after.body).toMatchObject({ code: 'promo_code_invalid', reason: 'inactive' });
  });
});

describe('promo codes in purchases', () => {
  it('applies the discount, records it in the snapshot, and refunds at most what was paid', async () => {
    const code = uniqueCode('Ten');
    await createCode({ code, kind: 'percent', percentOff: 10 });
    const customerId = await funded(20_000);
    const res = await buy({ customerId, productId: 'prod_keyboard', promoCode: code.toLowerCase() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ subtotal: 8999, discount: 899, total: 8100, promoCode: code.toUpperCase() });
    expect(
      (await http<CreditBalance>('GET', url(`/v1/customers/${customerId}/credit`), { token: TOKENS.support })).body
        .balance,
    ).toBe(20_000 - 8100);
    expect(await getCode(code)).toMatchObject({ redemptions: 1, reserved: 0 });
    const over = await http<Problem>('POST', url(`/v1/purchases/${res.body.id}/refunds`), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      body: { amount: 8999, reason: 'damaged' },
    });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: 'refund_exceeds_refundable', refundable: 8100 });
    const full = await http<Refund>('POST', url(`/v1/purchases/${res.body.id}/refunds`), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      body: { reason: 'damaged' },
    });
    expect(full.body.amount).toBe(8100);
  });

  it('a 100% code makes a free purchase with no hold and no ledger entry', async () => {
    const code = uniqueCode('Free');
    await createCode({ code, kind: 'percent', percentOff: 100 });
    const customerId = await funded(1);
    const res = await buy({ customerId, productId: 'prod_monitor', promoCode: code });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ subtotal: 34999, discount: 34999, total: 0 });
    expect(
      (await http<CreditBalance>('GET', url(`/v1/customers/${customerId}/credit`), { token: TOKENS.support })).body
        .balance,
    ).toBe(1);
  });

  it('refuses bad codes with 422 promo_code_invalid and a machine-readable reason, writing nothing', async () => {
    const customerId = await funded(100_000);
    const mk = async (prefix: string, rules: Record<string, unknown>): Promise<string> => {
      const code = uniqueCode(prefix);
      expect((await createCode({ code, ...rules })).status).toBe(201);
      return code;
    };
    const cases: [string, string, Record<string, unknown>?][] = [
      ['NOSUCHCODE1', 'unknown'],
      [
        await mk('Exp', {
          kind: 'percent',
          percentOff: 10,
          startsAt: '2020-01-01T00:00:00Z',
          expiresAt: '2020-02-01T00:00:00Z',
        }),
        'expired',
      ],
      [await mk('Soon', { kind: 'percent', percentOff: 10, startsAt: '2999-01-01T00:00:00Z' }), 'not_started'],
      [await mk('Min', { kind: 'percent', percentOff: 10, minSubtotal: 100_000 }), 'min_subtotal'],
      [await mk('Only', { kind: 'percent', percentOff: 10, productIds: ['prod_mouse'] }), 'not_applicable'],
      [await mk('Eur', { kind: 'amount', amountOff: 100, currency: 'EUR' }), 'currency_mismatch'],
      [await mk('Off', { kind: 'percent', percentOff: 10, active: false }), 'inactive'],
    ];
    for (const [code, reason] of cases) {
      const res = await buy({ customerId, productId: 'prod_cable', promoCode: code });
      expect({
        code,
        status: res.status,
        problem: res.body.code,
        reason: (res.body as unknown as { reason: string }).reason,
      }).toEqual({ code, status: 422, problem: 'promo_code_invalid', reason });
    }
    const once = await mk('Once', { kind: 'percent', percentOff: 10, maxRedemptionsPerCustomer: 1 });
    expect((await buy({ customerId, productId: 'prod_cable', promoCode: once })).status).toBe(201);
    const second = await buy({ customerId, productId: 'prod_cable', promoCode: once });
    expect(second.body).toMatchObject({ code: 'promo_code_invalid', reason: 'customer_limit' });
    const other = await funded(10_000);
    expect((await buy({ customerId: other, productId: 'prod_cable', promoCode: once })).status).toBe(201);
    expect(
      (await http<CreditBalance>('GET', url(`/v1/customers/${customerId}/credit`), { token: TOKENS.support })).body,
    ).toMatchObject({ balance: 100_000 - 900, held: 0 });
  });

  it('releases the redemption when the purchase is compensated', async () => {
    const code = uniqueCode('Comp');
    await createCode({ code, kind: 'percent', percentOff: 10, maxRedemptions: 1 });
    const customerId = await funded(10_000);
    // The platform refuses the shipment (a 4xx): compensated at once, no retry budget to wait out.
    await platform.fault({ operation: 'createShipment', mode: 'reject', status: 400, times: 1 });
    const failed = await buy({ customerId, productId: 'prod_cable', promoCode: code });
    expect(failed.status).toBe(502);
    expect(await getCode(code)).toMatchObject({ redemptions: 0, reserved: 0 });
    await platform.clearFaults();
    // The single redemption is available again.
    expect((await buy({ customerId, productId: 'prod_cable', promoCode: code })).status).toBe(201);
    expect(await getCode(code)).toMatchObject({ redemptions: 1, reserved: 0 });
  });

  it('30 concurrent purchases with a code limited to 10 give exactly 10 discounted purchases', async () => {
    const code = uniqueCode('Ten');
    await createCode({ code, kind: 'amount', amountOff: 100, currency: 'USD', maxRedemptions: 10 });
    const customers = await Promise.all(Array.from({ length: 30 }, () => funded(5000)));
    const results = await Promise.all(
      customers.map((customerId) => buy({ customerId, productId: 'prod_cable', promoCode: code })),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(10);
    expect(ok.every((r) => r.body.discount === 100 && r.body.total === 899)).toBe(true);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map((r) => [r.status, r.body.code, (r.body as unknown as { reason: string }).reason])).toEqual(
      Array(20).fill([422, 'promo_code_invalid', 'exhausted']),
    );
    expect(await getCode(code)).toMatchObject({ redemptions: 10, reserved: 0 });
  });
});
