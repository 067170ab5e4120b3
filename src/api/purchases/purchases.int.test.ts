/**
 * The purchase saga and refunds on the real stack: Temporal dev server, a worker, Postgres,
 * platform-mock with fault injection. Every test ends with invariants I1–I5.
 */
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { describe, expect, it, inject } from 'vitest';
import type {
  CreditBalance,
  LedgerEntryList,
  Problem,
  Purchase,
  PurchaseAttempt,
  PurchaseList,
  PurchaseWithRefunds,
  Refund,
  RefundList,
} from '../../contracts/index.js';
import { releaseCredit, reserveCredit } from '../../db/purchase-repository.js';
import { http, newKey, type HttpResult } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
// A short shipment budget lets the ambiguous timeout exhaust it quickly; the sync wait is longer
// than it. The saga's branches themselves (budget exhausted, look-up, cancel …) are covered in
// skipped time by workflows/purchase.test.ts; these tests are about the real stack.
useStack({ env: { SHIPMENT_RETRY_BUDGET_MS: '3000', PURCHASE_SYNC_TIMEOUT_MS: '15000' } }, (started, control) => {
  stack = started;
  platform = control;
});

const url = (path: string): string => `${stack.apiUrl}${path}`;

async function credit(customerId: string): Promise<CreditBalance> {
  return (await http<CreditBalance>('GET', url(`/v1/customers/${customerId}/credit`), { token: TOKENS.storefront }))
    .body;
}

async function grant(customerId: string, amount: number, currency = 'USD'): Promise<void> {
  const res = await http('POST', url(`/v1/customers/${customerId}/credit/grants`), {
    token: TOKENS.support,
    idempotencyKey: newKey('grant'),
    body: { amount, currency, reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
}

async function entries(customerId: string): Promise<LedgerEntryList['data']> {
  return (
    await http<LedgerEntryList>('GET', url(`/v1/customers/${customerId}/credit/entries?limit=100`), {
      token: TOKENS.support,
    })
  ).body.data;
}

type PurchaseOrProblem = Purchase & Omit<Problem, 'status'>;

interface OpenApiDoc {
  paths: Record<
    string,
    {
      post?: {
        description?: string;
        responses: Record<string, { content: Record<string, { schema: { $ref?: string } } | undefined> } | undefined>;
      };
    }
  >;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> } | undefined> };
}

function buy(body: Record<string, unknown>, key = newKey('buy')): Promise<HttpResult<PurchaseOrProblem>> {
  return http<PurchaseOrProblem>('POST', url('/v1/purchases'), { token: TOKENS.storefront, idempotencyKey: key, body });
}

function refund(
  purchaseId: string,
  body: Record<string, unknown>,
  key = newKey('refund'),
): Promise<HttpResult<Refund & Problem>> {
  return http<Refund & Problem>('POST', url(`/v1/purchases/${purchaseId}/refunds`), {
    token: TOKENS.support,
    idempotencyKey: key,
    body,
  });
}

async function holdOf(purchaseId: string): Promise<{ status: string; resolution: string | null } | null> {
  const result = await stack.database.db.execute(
    sql`select status, resolution from credit_holds where purchase_id = ${purchaseId}`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    status: string;
    resolution: string | null;
  }[];
  return rows[0] ?? null;
}

async function funded(amount: number): Promise<string> {
  const customerId = await platform.newCustomer();
  await grant(customerId, amount);
  return customerId;
}

describe('purchase saga', () => {
  it('happy path: balance down by the total, one purchase, one shipment, one purchase entry', async () => {
    const customerId = await funded(100_000);
    const res = await buy({ customerId, productId: 'prod_keyboard', quantity: 2, expectedUnitPrice: 8999 });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/purchases/${res.body.id}`);
    expect(res.body).toMatchObject({
      customerId,
      productId: 'prod_keyboard',
      productName: 'Mechanical Keyboard',
      quantity: 2,
      unitPrice: 8999,
      subtotal: 17998,
      discount: 0,
      total: 17998,
      currency: 'USD',
      promoCode: null,
      status: 'completed',
      refundedAmount: 0,
      shipment: {
        status: 'created',
        address: { line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' },
      },
      workflowId: `purchase-${res.body.id}`,
    });
    expect(res.body.id).toMatch(/^pur_[0-9A-Z]{26}$/);
    expect(await credit(customerId)).toMatchObject({ balance: 100_000 - 17998, held: 0, available: 100_000 - 17998 });
    const ledger = await entries(customerId);
    expect(ledger.filter((e) => e.type === 'purchase')).toEqual([
      expect.objectContaining({ amount: -17998, balanceAfter: 82002, purchaseId: res.body.id, actor: 'web' }),
    ]);
    expect(await platform.shipmentsFor(res.body.id)).toHaveLength(1);
    const got = await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${res.body.id}`), {
      token: TOKENS.storefront,
    });
    expect(got.body).toEqual({ ...res.body, refunds: [] });
    const attempt = await http<PurchaseAttempt>('GET', url(`/v1/purchase-attempts/${res.body.id}`), {
      token: TOKENS.storefront,
    });
    expect(attempt.body).toMatchObject({
      id: res.body.id,
      status: 'completed',
      stage: 'completed',
      purchase: res.body,
    });
    expect(await holdOf(res.body.id)).toEqual({ status: 'captured', resolution: 'purchase_committed' });
  });

  it('CreateShipment failing twice then succeeding: one purchase, one shipment', async () => {
    const customerId = await funded(10_000);
    await platform.resetCalls();
    await platform.fault({ operation: 'createShipment', mode: 'error', status: 503, times: 2 });
    const res = await buy({ customerId, productId: 'prod_cable' });
    expect(res.status).toBe(201);
    expect((await platform.calls()).createShipment).toBe(3);
    expect(await platform.shipmentsFor(res.body.id)).toHaveLength(1);
    expect((await credit(customerId)).balance).toBe(10_000 - 999);
  });

  it("CreateShipment rejected with a 400: 502 with the platform's reason, nothing written, no retries", async () => {
    // cus_noaddr's address has no postal code: the platform refuses the shipment.
    await grant('cus_noaddr', 5000);
    await platform.resetCalls();
    const key = newKey('noaddr');
    const res = await buy({ customerId: 'cus_noaddr', productId: 'prod_cable' }, key);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'shipment_failed', platformStatus: 400, platformCode: 'invalid_address' });
    expect((await platform.calls()).createShipment).toBe(1);
    expect(await credit('cus_noaddr')).toMatchObject({ balance: 5000, held: 0 });
    const attempts = await stack.database.db.execute(
      sql`select id from purchase_attempts where customer_id = 'cus_noaddr'`,
    );
    const attemptId =
      ((Array.isArray(attempts) ? attempts : (attempts as { rows: unknown[] }).rows) as { id: string }[])[0]?.id ?? '';
    expect(await holdOf(attemptId)).toEqual({ status: 'released', resolution: 'shipment_rejected' });
    const attempt = await http<PurchaseAttempt>('GET', url(`/v1/purchase-attempts/${attemptId}`), {
      token: TOKENS.storefront,
    });
    expect(attempt.body).toMatchObject({
      status: 'failed',
      stage: 'failed',
      error: { code: 'shipment_failed', status: 502 },
    });
  });

  it('an ambiguous timeout where the platform did create the shipment: exactly one shipment, purchase completed', async () => {
    const customerId = await funded(10_000);
    // Every CreateShipment is held past the client's 2 s timeout but still performed: the
    // saga never hears "created", exhausts its 3 s budget, then finds the shipment by key.
    await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 2500, times: -1 });
    const res = await buy({ customerId, productId: 'prod_mouse' });
    expect(res.status).toBe(201);
    expect(await platform.shipmentsFor(res.body.id)).toHaveLength(1);
    expect((await credit(customerId)).balance).toBe(10_000 - 2999);
  });

  it('insufficient credit: 409 with available and required, nothing written, no shipment requested', async () => {
    const customerId = await funded(1000);
    await platform.resetCalls();
    const res = await buy({ customerId, productId: 'prod_keyboard' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_credit', available: 1000, required: 8999 });
    expect((await platform.calls()).createShipment).toBe(0);
    expect(await credit(customerId)).toMatchObject({ balance: 1000, held: 0 });
  });

  it('20 concurrent purchases against credit for 7: exactly 7 succeed, no overdraft', async () => {
    const customerId = await funded(7 * 999);
    const results = await Promise.all(Array.from({ length: 20 }, () => buy({ customerId, productId: 'prod_cable' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(7);
    expect(statuses.filter((s) => s !== 201)).toEqual(Array(13).fill(409));
    expect(await credit(customerId)).toMatchObject({ balance: 0, held: 0, available: 0 });
    const created = results.filter((r) => r.status === 201).map((r) => r.body.id);
    for (const id of created) expect(await platform.shipmentsFor(id)).toHaveLength(1);
  });

  it('a replayed Idempotency-Key returns the first outcome and buys nothing more', async () => {
    const customerId = await funded(50_000);
    const key = newKey('replay');
    const body = { customerId, productId: 'prod_mouse', quantity: 1 };
    const first = await buy(body, key);
    expect(first.status).toBe(201);
    const again = await Promise.all([buy(body, key), buy(body, key)]);
    for (const r of again) {
      expect(r.status).toBe(201);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
      expect(r.body).toEqual(first.body);
    }
    expect((await credit(customerId)).balance).toBe(50_000 - 2999);
    const reused = await buy({ ...body, quantity: 2 }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    // A failure is replayed too.
    const failKey = newKey('replay-fail');
    const failed = await buy({ customerId, productId: 'prod_lamp' }, failKey);
    expect(failed.status).toBe(422);
    const failedAgain = await buy({ customerId, productId: 'prod_lamp' }, failKey);
    expect(failedAgain.status).toBe(422);
    expect(failedAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(failedAgain.body).toEqual(failed.body);
  });

  it("uses the platform's data of the moment: price and address changes apply to the next purchase only", async () => {
    const customerId = await funded(100_000);
    const productId = await platform.newProduct(1000);
    const first = await buy({ customerId, productId });
    expect(first.status).toBe(201);
    await platform.patchProduct(productId, { price: { amount: 1250, currency: 'USD' }, name: 'Renamed product' });
    await platform.patchCustomer(customerId, {
      address: { line1: '2 New Road', city: 'Shelbyville', postalCode: '54321', country: 'US' },
    });
    const second = await buy({ customerId, productId });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({
      unitPrice: 1250,
      total: 1250,
      productName: 'Renamed product',
      shipment: { address: { line1: '2 New Road', city: 'Shelbyville' } },
    });
    const firstNow = await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${first.body.id}`), {
      token: TOKENS.storefront,
    });
    expect(firstNow.body).toMatchObject({
      unitPrice: 1000,
      total: 1000,
      productName: 'Test product 1000',
      shipment: { address: { line1: '1 Main Street' } },
    });
    expect((await credit(customerId)).balance).toBe(100_000 - 2250);
    const stale = await buy({ customerId, productId, expectedUnitPrice: 1000 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'price_changed', currentPrice: { amount: 1250, currency: 'USD' } });
  });

  it('answers 404, 422 and 400 for bad purchases, writing nothing', async () => {
    const customerId = await funded(100_000);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ customerId: 'cus_nobody', productId: 'prod_cable' }, 404, 'customer_not_found'],
      [{ customerId, productId: 'prod_nothing' }, 404, 'product_not_found'],
      [{ customerId, productId: 'prod_lamp' }, 422, 'product_unavailable'],
      [{ customerId, productId: 'prod_mug' }, 422, 'currency_mismatch'],
      [{ customerId, productId: 'prod_cable', quantity: 101 }, 400, 'validation_failed'],
      [{ customerId, productId: 'prod_cable', quantity: 0 }, 400, 'validation_failed'],
      [{ customerId, productId: 'prod_cable', colour: 'red' }, 400, 'validation_failed'],
      [{ customerId }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await buy(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status, code });
    }
    expect(await credit(customerId)).toMatchObject({ balance: 100_000, held: 0 });
    const noKey = await http<Problem>('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      body: { customerId, productId: 'prod_cable' },
    });
    expect(noKey.body.code).toBe('idempotency_key_required');
    const noToken = await http<Problem>('POST', url('/v1/purchases'), {
      idempotencyKey: newKey(),
      body: { customerId, productId: 'prod_cable' },
    });
    expect(noToken.status).toBe(401);
  });

  it('a price × quantity past 2^53 (a price the platform accepts): 422 amount_out_of_range within a second, no hold', async () => {
    const customerId = await funded(10_000);
    const productId = await platform.newProduct(5_000_000_000_000_000);
    const startedAt = Date.now();
    const res = await buy({ customerId, productId, quantity: 2 });
    const elapsedMs = Date.now() - startedAt;
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'amount_out_of_range',
      quantity: 2,
      unitPrice: { amount: 5_000_000_000_000_000, currency: 'USD' },
    });
    expect(elapsedMs).toBeLessThan(1_000);
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 0, available: 10_000 });
    const holds = await stack.database.db.execute(sql`select id from credit_holds where customer_id = ${customerId}`);
    expect(Array.isArray(holds) ? holds : (holds as { rows: unknown[] }).rows).toEqual([]);
    const attempts = await stack.database.db.execute(
      sql`select status from purchase_attempts where customer_id = ${customerId}`,
    );
    expect(Array.isArray(attempts) ? attempts : (attempts as { rows: unknown[] }).rows).toEqual([{ status: 'failed' }]);
  });

  it('answers 503 platform_unavailable when the platform is down while loading', async () => {
    const customerId = await funded(10_000);
    await platform.fault({ operation: 'getProduct', mode: 'error', status: 503, times: -1 });
    const res = await buy({ customerId, productId: 'prod_cable' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('platform_unavailable');
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 0 });
  });

  it('a platform_unavailable refusal is not remembered: the same key runs again as a new attempt and buys once', async () => {
    const customerId = await funded(10_000);
    const key = newKey('transient');
    const body = { customerId, productId: 'prod_cable' };
    await platform.fault({ operation: 'getProduct', mode: 'error', status: 503, times: -1 });
    const refused = await buy(body, key);
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('platform_unavailable');
    expect(refused.headers.get('idempotent-replayed')).toBeNull();
    const firstAttempt = refused.body.attemptId as string;
    expect(firstAttempt).toMatch(/^pur_[0-9A-Z]{26}$/);
    await platform.clearFaults();

    const retried = await buy(body, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(retried.body.id).not.toBe(firstAttempt);
    // The first attempt stays failed with the problem its caller got; the retry's answer is now remembered.
    const attempt = await http<PurchaseAttempt>('GET', url(`/v1/purchase-attempts/${firstAttempt}`), {
      token: TOKENS.storefront,
    });
    expect(attempt.body).toMatchObject({ id: firstAttempt, status: 'failed', error: { code: 'platform_unavailable' } });
    const replayed = await buy(body, key);
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(retried.body);
    expect(await credit(customerId)).toMatchObject({ balance: 10_000 - 999, held: 0 });
    expect(await platform.shipmentsFor(retried.body.id)).toHaveLength(1);
  });

  it('every problem of a recorded attempt carries its attemptId, also when replayed; the attempt has the same problem', async () => {
    const customerId = await funded(100);
    const key = newKey('attempt-id');
    const refused = await buy({ customerId, productId: 'prod_cable' }, key);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('insufficient_credit');
    const attemptId = refused.body.attemptId as string;
    expect(attemptId).toMatch(/^pur_[0-9A-Z]{26}$/);
    const attempt = await http<PurchaseAttempt>('GET', url(`/v1/purchase-attempts/${attemptId}`), {
      token: TOKENS.storefront,
    });
    expect(attempt.body).toMatchObject({ id: attemptId, status: 'failed', error: { code: 'insufficient_credit' } });
    const replayed = await buy({ customerId, productId: 'prod_cable' }, key);
    expect(replayed.body).toEqual(refused.body);
    const unknown = await buy({ customerId: 'cus_nobody_at_all', productId: 'prod_cable' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.attemptId).toMatch(/^pur_[0-9A-Z]{26}$/);
    // A refusal of the request itself, before any attempt exists, has none.
    const invalid = await buy({ customerId, productId: 'prod_cable', quantity: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.attemptId).toBeUndefined();
  });

  it('the OpenAPI document declares attemptId on the purchase problems of a recorded attempt', async () => {
    const doc = (await http<OpenApiDoc>('GET', url('/v1/openapi.json'))).body;
    const responses = doc.paths['/v1/purchases']?.post?.responses ?? {};
    for (const status of ['404', '409', '502']) {
      expect(responses[status]?.content['application/problem+json']?.schema.$ref, status).toBe(
        '#/components/schemas/PurchaseProblem',
      );
    }
    const schema = doc.components.schemas.PurchaseProblem;
    expect(schema?.required).toContain('attemptId');
    expect(schema?.properties).toHaveProperty('attemptId');
    expect(doc.paths['/v1/purchases']?.post?.description).toContain('attemptId');
  });
});

describe('reservation', () => {
  it('a second reserve of the same purchase returns the first terms, whatever price it was given, and holds once', async () => {
    const customerId = await funded(10_000);
    const purchaseId = `pur_reserve_twice_${Date.now()}`;
    const input = {
      purchaseId,
      customerId,
      productId: 'prod_mouse',
      subtotal: 2_000,
      currency: 'USD',
      promoCode: null,
      workflowId: `purchase-${purchaseId}`,
    };
    const first = await reserveCredit(stack.database.db, input);
    const again = await reserveCredit(stack.database.db, { ...input, subtotal: 2_600 });
    expect(again).toEqual(first);
    expect(first.total).toBe(2_000);
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 2_000 });
    await releaseCredit(stack.database.db, purchaseId, 'test_cleanup');
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 0 });
  });
});

describe('listing', () => {
  it('filters by customer, product, status and time, newest first, with keyset pages', async () => {
    const customerId = await funded(100_000);
    const ids: string[] = [];
    for (const productId of ['prod_cable', 'prod_mouse', 'prod_cable', 'prod_cable', 'prod_mouse']) {
      const res = await buy({ customerId, productId });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const list = async (query: string): Promise<PurchaseList> =>
      (
        await http<PurchaseList>('GET', url(`/v1/purchases?customerId=${customerId}${query}`), {
          token: TOKENS.storefront,
        })
      ).body;
    expect((await list('')).data.map((p) => p.id)).toEqual([...ids].reverse());
    expect((await list('&productId=prod_mouse')).data.map((p) => p.id)).toEqual([ids[4], ids[1]]);
    const page1 = await list('&limit=2');
    const page2 = await list(`&limit=2&cursor=${page1.nextCursor ?? ''}`);
    const page3 = await list(`&limit=2&cursor=${page2.nextCursor ?? ''}`);
    expect([...page1.data, ...page2.data, ...page3.data].map((p) => p.id)).toEqual([...ids].reverse());
    expect(page3.nextCursor).toBeNull();
    expect((await list('&createdFrom=2999-01-01T00:00:00Z')).data).toEqual([]);
    expect((await list('&createdTo=2999-01-01T00:00:00Z')).data).toHaveLength(5);
    expect((await list(`&createdFrom=${encodeURIComponent('1970-01-01T00:00:00+14:00')}`)).data).toHaveLength(5);
    // The shared instant schema's bounds (years 1970–2999, offsets within ±14:00): 400, not a database error.
    for (const instant of ['0022-01-01T00:00:00Z', '2026-01-01T00:00:00-22:00', '3000-01-01T00:00:00Z']) {
      const outside = await http<Problem>(
        'GET',
        url(`/v1/purchases?customerId=${customerId}&createdFrom=${encodeURIComponent(instant)}`),
        { token: TOKENS.storefront },
      );
      expect({ instant, status: outside.status, code: outside.body.code }).toEqual({
        instant,
        status: 400,
        code: 'validation_failed',
      });
    }
    await refund(ids[0] ?? '', { reason: 'damaged' });
    expect((await list('&status=refunded')).data.map((p) => p.id)).toEqual([ids[0]]);
    const bad = await http<Problem>('GET', url('/v1/purchases?status=lost'), { token: TOKENS.storefront });
    expect(bad.status).toBe(400);
    const unknown = await http<Problem>('GET', url('/v1/purchases/pur_01AAAAAAAAAAAAAAAAAAAAAAAA'), {
      token: TOKENS.storefront,
    });
    expect(unknown.body.code).toBe('purchase_not_found');
    const noAttempt = await http<Problem>('GET', url('/v1/purchase-attempts/pur_01AAAAAAAAAAAAAAAAAAAAAAAA'), {
      token: TOKENS.storefront,
    });
    expect(noAttempt.body.code).toBe('purchase_attempt_not_found');
  });
});

describe('refunds', () => {
  it('partial, repeated partial, then nothing left: status, ledger and balance follow', async () => {
    const customerId = await funded(20_000);
    const bought = await buy({ customerId, productId: 'prod_keyboard' });
    expect(bought.status).toBe(201);
    const total = bought.body.total;
    const afterBuy = (await credit(customerId)).balance;

    const r1 = await refund(bought.body.id, { amount: 1000, reason: 'damaged', note: 'scratched' });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({
      purchaseId: bought.body.id,
      amount: 1000,
      currency: 'USD',
      reason: 'damaged',
      note: 'scratched',
      actor: 'alice',
    });
    expect(r1.body.id).toMatch(/^ref_/);
    let p = (
      await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${bought.body.id}`), { token: TOKENS.storefront })
    ).body;
    expect(p).toMatchObject({ status: 'partially_refunded', refundedAmount: 1000 });

    const r2 = await refund(bought.body.id, { amount: 2000, reason: 'goodwill' });
    expect(r2.status).toBe(201);
    const over = await refund(bought.body.id, { amount: total, reason: 'other', note: 'too much' });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: 'refund_exceeds_refundable', refundable: total - 3000 });
    const rest = await refund(bought.body.id, { reason: 'requested_by_customer' });
    expect(rest.status).toBe(201);
    expect(rest.body.amount).toBe(total - 3000);
    p = (await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${bought.body.id}`), { token: TOKENS.storefront }))
      .body;
    expect(p).toMatchObject({ status: 'refunded', refundedAmount: total });
    expect(p.refunds.map((r) => r.amount)).toEqual([1000, 2000, total - 3000]);
    const again = await refund(bought.body.id, { reason: 'duplicate' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('purchase_fully_refunded');

    expect((await credit(customerId)).balance).toBe(afterBuy + total);
    const refundEntries = (await entries(customerId)).filter((e) => e.type === 'refund');
    expect(refundEntries.map((e) => [e.amount, e.refundId, e.purchaseId, e.actor])).toEqual([
      [total - 3000, rest.body.id, bought.body.id, 'alice'],
      [2000, r2.body.id, bought.body.id, 'alice'],
      [1000, r1.body.id, bought.body.id, 'alice'],
    ]);
    const listed = await http<RefundList>('GET', url(`/v1/purchases/${bought.body.id}/refunds`), {
      token: TOKENS.storefront,
    });
    expect(listed.body.data.map((r) => r.id)).toEqual([rest.body.id, r2.body.id, r1.body.id]);
  });

  it('racing refunds never exceed the total', async () => {
    const customerId = await funded(20_000);
    const bought = await buy({ customerId, productId: 'prod_keyboard' });
    expect(bought.status).toBe(201);
    // 12 concurrent refunds of 1000 against a total of 8999: exactly 8 fit.
    const results = await Promise.all(
      Array.from({ length: 12 }, () => refund(bought.body.id, { amount: 1000, reason: 'goodwill' })),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(8);
    expect(results.filter((r) => r.status !== 201).map((r) => r.body.code)).toEqual(
      Array(4).fill('refund_exceeds_refundable'),
    );
    const p = (
      await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${bought.body.id}`), { token: TOKENS.storefront })
    ).body;
    expect(p).toMatchObject({ refundedAmount: 8000, status: 'partially_refunded' });
  });

  it('is idempotent, needs the support role, and refuses bad input', async () => {
    const customerId = await funded(20_000);
    const bought = await buy({ customerId, productId: 'prod_cable' });
    const key = newKey('refund-replay');
    const first = await refund(bought.body.id, { amount: 100, reason: 'goodwill' }, key);
    const second = await refund(bought.body.id, { amount: 100, reason: 'goodwill' }, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    const byStorefront = await http<Problem>('POST', url(`/v1/purchases/${bought.body.id}/refunds`), {
      token: TOKENS.storefront,
      idempotencyKey: newKey(),
      body: { reason: 'goodwill' },
    });
    expect(byStorefront.status).toBe(403);
    const noNote = await refund(bought.body.id, { reason: 'other' });
    expect(noNote.status).toBe(400);
    // A note with a NUL character (Schemathesis): Postgres cannot store it, so the refund's
    // workflow retried its write until the caller got 503; the schema now refuses it up front.
    const nul = await refund(bought.body.id, { reason: 'requested_by_customer', note: '\uf8b2p\u00c8S\u0000\u00da' });
    expect({ status: nul.status, code: nul.body.code, paths: nul.body.errors?.map((e) => e.path) }).toEqual({
      status: 400,
      code: 'validation_failed',
      paths: ['body.note'],
    });
    const missing = await refund('pur_01AAAAAAAAAAAAAAAAAAAAAAAA', { reason: 'goodwill' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('purchase_not_found');
    expect(
      (await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${bought.body.id}`), { token: TOKENS.storefront }))
        .body.refundedAmount,
    ).toBe(100);
  });
});

describe('determinism', () => {
  it('replays the recorded histories of completed and compensated sagas and refunds', async () => {
    const result = await stack.database.db.execute(
      sql`select workflow_id from purchase_attempts union all select workflow_id from refunds`,
    );
    const ids = (
      (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { workflow_id: string }[]
    ).map((r) => r.workflow_id);
    expect(ids.length).toBeGreaterThan(20);
    const histories = ids.map(async (workflowId) => ({
      workflowId,
      history: await stack.temporal.workflow.getHandle(workflowId).fetchHistory(),
    }));
    const replay = Worker.runReplayHistories(
      { workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') } },
      (async function* () {
        for (const h of histories) yield await h;
      })(),
    );
    let count = 0;
    for await (const r of replay) {
      expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
      count += 1;
    }
    expect(count).toBe(ids.length);
  });
});
