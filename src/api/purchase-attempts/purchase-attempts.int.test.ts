/**
 * `GET /v1/purchase-attempts` and `POST /v1/purchase-attempts/{id}/cancel` against the real
 * stack: the attempts a rep reads (failed ones with the problem body their caller got, a
 * pending one with its hold, stage and last error), keyset pages, the admin's cancel of a
 * stuck saga with who and why recorded, the `PurchaseOutcome` search attribute, and the
 * purchase searches by purchase id, shipment id and promo code. Invariants after each test.
 */
import { describe, expect, it } from 'vitest';
import type {
  CreditBalance,
  Purchase,
  PurchaseAttemptList,
  PurchaseAttemptSummary,
  PurchaseList,
  PurchasePending,
} from '../../contracts/index.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';
import { until } from '../../../test/support/wait.js';

let stack: TestStack;
let platform: PlatformControl;
useStack(
  { env: { SHIPMENT_RETRY_BUDGET_MS: '120000', PURCHASE_SYNC_TIMEOUT_MS: '4000', PLATFORM_TIMEOUT_MS: '10000' } },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

async function funded(amount: number): Promise<string> {
  const customerId = await platform.newCustomer();
  const res = await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
    token: TOKENS.admin,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
  return customerId;
}

async function buy(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  return http('POST', `${stack.apiUrl}/v1/purchases`, {
    token: TOKENS.storefront,
    idempotencyKey: newKey('buy'),
    body,
  });
}

async function attempts(
  query: string,
  token: string = TOKENS.support,
): Promise<{ status: number; body: PurchaseAttemptList }> {
  return http<PurchaseAttemptList>('GET', `${stack.apiUrl}/v1/purchase-attempts?${query}`, { token });
}

async function credit(customerId: string): Promise<CreditBalance> {
  return (
    await http<CreditBalance>('GET', `${stack.apiUrl}/v1/customers/${customerId}/credit`, { token: TOKENS.support })
  ).body;
}

async function visible(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of stack.temporal.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
}

describe('purchase attempts for customer service', () => {
  it("lists a customer's attempts newest first, failed ones with the reason their caller got, in keyset pages", async () => {
    const customerId = await funded(5_000);
    const inactive = await platform.newProduct(100, 'USD', false);
    const completed = await buy({ customerId, productId: 'prod_mouse' });
    expect(completed.status).toBe(201);
    const broke = await buy({ customerId, productId: 'prod_mouse' });
    expect(broke.body).toMatchObject({ code: 'insufficient_credit' });
    expect((await buy({ customerId, productId: inactive })).body).toMatchObject({ code: 'product_unavailable' });
    expect((await buy({ customerId, productId: 'prod_cable', promoCode: 'NO-SUCH-CODE' })).body).toMatchObject({
      code: 'promo_code_invalid',
    });

    const all = await attempts(`customerId=${customerId}`);
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.data.map((a) => [a.status, a.stage, a.error?.code ?? null])).toEqual([
      ['failed', 'failed', 'promo_code_invalid'],
      ['failed', 'failed', 'product_unavailable'],
      ['failed', 'failed', 'insufficient_credit'],
      ['completed', 'completed', null],
    ]);
    const [promoFailure, , creditFailure, done] = all.body.data;
    expect(creditFailure?.error).toMatchObject({ status: 409, available: 2_001, required: 2_999 });
    expect(creditFailure?.error?.detail).toBeTruthy();
    expect(promoFailure).toMatchObject({
      promoCode: 'NO-SUCH-CODE',
      productId: 'prod_cable',
      quantity: 1,
      actor: 'web',
    });
    expect(done).toMatchObject({ purchaseId: completed.body.id, workflowId: `purchase-${String(completed.body.id)}` });
    expect(done?.holdAmount).toBeUndefined();
    for (const a of all.body.data) expect(Date.parse(a.updatedAt)).toBeGreaterThanOrEqual(Date.parse(a.createdAt));

    // Keyset pages of two: the same rows, in the same order, no overlap.
    const first = await attempts(`customerId=${customerId}&limit=2`);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await attempts(
      `customerId=${customerId}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`,
    );
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.data, ...second.body.data].map((a) => a.id)).toEqual(all.body.data.map((a) => a.id));

    expect((await attempts(`customerId=${customerId}&status=failed`)).body.data).toHaveLength(3);
    expect((await attempts(`customerId=${customerId}&status=completed`)).body.data.map((a) => a.id)).toEqual([
      completed.body.id,
    ]);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await attempts(`customerId=${customerId}&createdFrom=${later}`)).body.data).toEqual([]);
    expect((await attempts(`customerId=${customerId}&createdTo=${later}`)).body.data).toHaveLength(4);

    expect((await attempts('status=cancelled')).status).toBe(400);
    expect((await attempts('cursor=not-a-cursor')).body).toMatchObject({ status: 422, code: 'cursor_invalid' });
    expect((await attempts(`customerId=${customerId}`, TOKENS.storefront)).status).toBe(403);

    // Temporal: the failed saga is a Completed execution with its outcome code; the purchase "completed".
    const failedId = `purchase-${creditFailure?.id ?? ''}`;
    expect(
      await until(
        'PurchaseOutcome in visibility',
        async () => {
          const ids = await visible(
            `CustomerId="${customerId}" AND ExecutionStatus="Completed" AND PurchaseOutcome="insufficient_credit"`,
          );
          return ids.length > 0 ? ids : null;
        },
        20_000,
      ),
    ).toEqual([failedId]);
    expect(
      await until(
        'completed outcome',
        async () => {
          const ids = await visible(`CustomerId="${customerId}" AND PurchaseOutcome="completed"`);
          return ids.length > 0 ? ids : null;
        },
        20_000,
      ),
    ).toEqual([`purchase-${String(completed.body.id)}`]);
  });

  it('a stuck purchase: listed with its hold, stage and last error; an admin cancels it with a reason and the hold is released', async () => {
    const customerId = await funded(10_000);
    await platform.fault({ operation: 'createShipment', mode: 'error', status: 503, times: -1 });
    const pending = await http<PurchasePending>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('stuck'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(pending.status).toBe(202);
    const id = pending.body.id;

    const listed = await until(
      'the saga to wait in shipping',
      async () => {
        const page = await attempts(
          `status=pending&customerId=${customerId}&createdTo=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`,
        );
        const row = page.body.data.find((a) => a.id === id);
        return row?.stage === 'shipping' && row.lastError ? row : null;
      },
      20_000,
    );
    expect(listed).toMatchObject({
      status: 'pending',
      holdAmount: 2_999,
      currency: 'USD',
      workflowId: `purchase-${id}`,
    });
    expect(listed.lastError).toMatch(/503/);
    expect(listed.error).toBeUndefined();
    expect(await credit(customerId)).toMatchObject({ held: 2_999 });

    const cancel = (
      body: unknown,
      token: string = TOKENS.admin,
    ): Promise<{ status: number; body: PurchaseAttemptSummary & { code?: string } }> =>
      http('POST', `${stack.apiUrl}/v1/purchase-attempts/${id}/cancel`, { token, body });
    expect((await cancel({ reason: 'x' }, TOKENS.support)).status).toBe(403);
    expect((await cancel({ reason: '  ' })).body).toMatchObject({ code: 'validation_failed' });
    expect((await cancel({ reason: 'x', extra: 1 })).status).toBe(400);

    const done = await cancel({ reason: 'platform outage INC-7' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      id,
      status: 'failed',
      stage: 'failed',
      error: { code: 'purchase_cancelled', reason: 'platform outage INC-7' },
      cancellation: { actor: 'root', reason: 'platform outage INC-7' },
    });
    expect(done.body.error?.detail).toContain('root');
    expect(done.body.holdAmount).toBeUndefined();
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 0, available: 10_000 });
    expect(await platform.shipmentsFor(id)).toEqual([]);

    // Recorded: the list says who and why; a second cancel has nothing left to cancel.
    const after = (await attempts(`customerId=${customerId}`)).body.data[0];
    expect(after).toMatchObject({
      id,
      status: 'failed',
      cancellation: { actor: 'root', reason: 'platform outage INC-7' },
    });
    const again = await cancel({ reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'purchase_not_cancellable', attemptStatus: 'failed' });
    expect(
      await until(
        'PurchaseOutcome purchase_cancelled',
        async () => {
          const ids = await visible(`CustomerId="${customerId}" AND PurchaseOutcome="purchase_cancelled"`);
          return ids.length > 0 ? ids : null;
        },
        20_000,
      ),
    ).toEqual([`purchase-${id}`]);
  });

  it('refuses to cancel a completed attempt, an unknown one, and a saga that is not waiting on the platform', async () => {
    const customerId = await funded(10_000);
    const bought = await buy({ customerId, productId: 'prod_cable' });
    expect(bought.status).toBe(201);
    const completed = await http('POST', `${stack.apiUrl}/v1/purchase-attempts/${String(bought.body.id)}/cancel`, {
      token: TOKENS.admin,
      body: { reason: 'late' },
    });
    expect(completed.status).toBe(409);
    expect(completed.body).toMatchObject({ code: 'purchase_not_cancellable', attemptStatus: 'completed' });
    const unknown = await http('POST', `${stack.apiUrl}/v1/purchase-attempts/pur_00000000000000000000000000/cancel`, {
      token: TOKENS.admin,
      body: { reason: 'x' },
    });
    expect(unknown.body).toMatchObject({ status: 404, code: 'purchase_attempt_not_found' });

    // A saga still loading (the platform holds GetCustomer) refuses: only a platform wait is cancellable.
    await platform.fault({ operation: 'getCustomer', mode: 'timeout', delayMs: 8_000, times: 1 });
    const slow = await http<PurchasePending>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('slow'),
      body: { customerId, productId: 'prod_cable' },
    });
    expect(slow.status).toBe(202);
    const refused = await http('POST', `${stack.apiUrl}/v1/purchase-attempts/${slow.body.id}/cancel`, {
      token: TOKENS.admin,
      body: { reason: 'impatient' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'purchase_not_cancellable' });
    const final = await until(
      'the slow purchase to finish',
      async () => {
        const res = await http<{ status: string }>('GET', `${stack.apiUrl}/v1/purchase-attempts/${slow.body.id}`, {
          token: TOKENS.storefront,
        });
        return res.body.status === 'pending' ? null : res.body;
      },
      20_000,
    );
    expect(final.status).toBe('completed');
    const listed = (await attempts(`customerId=${customerId}&status=completed`)).body.data.find(
      (a) => a.id === slow.body.id,
    );
    expect(listed?.cancellation).toBeUndefined();
  });

  it('searches purchases by purchase id, shipment id and promo code', async () => {
    const customerId = await funded(20_000);
    const code = `SEARCH${Date.now().toString(36).toUpperCase()}`;
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/promo-codes`, {
          token: TOKENS.admin,
          body: { code, kind: 'percent', percentOff: 10 },
        })
      ).status,
    ).toBe(201);
    const plain = (await buy({ customerId, productId: 'prod_cable' })).body as unknown as Purchase;
    const promoted = (await buy({ customerId, productId: 'prod_cable', promoCode: code.toLowerCase() }))
      .body as unknown as Purchase;
    expect(promoted.promoCode).toBe(code);

    const search = async (query: string): Promise<string[]> =>
      (
        await http<PurchaseList>('GET', `${stack.apiUrl}/v1/purchases?${query}`, { token: TOKENS.support })
      ).body.data.map((p) => p.id);
    expect(await search(`purchaseId=${plain.id}`)).toEqual([plain.id]);
    expect(await search(`shipmentId=${promoted.shipment.id}`)).toEqual([promoted.id]);
    expect(await search(`promoCode=${code.toLowerCase()}`)).toEqual([promoted.id]);
    expect(await search(`promoCode=${code}&customerId=${customerId}`)).toEqual([promoted.id]);
    expect(await search('purchaseId=pur_00000000000000000000000000')).toEqual([]);
    expect(await search(`shipmentId=${promoted.shipment.id}&customerId=cus_ada`)).toEqual([]);
  });
});
