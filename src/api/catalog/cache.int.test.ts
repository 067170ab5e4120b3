/**
 * The platform cache on the real stack, observed through platform-mock's call counters:
 * views hit the cache; money never uses a cached value; outages serve stale views only.
 */
import { describe, expect, it } from 'vitest';
import type { CustomerView, Problem, ProductView, Purchase } from '../../contracts/index.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack({ env: { PLATFORM_CACHE_TTL_MS: '1500', PLATFORM_CACHE_STALE_IF_ERROR_MS: '60000' } }, (started, control) => {
  stack = started;
  platform = control;
});

const url = (path: string): string => `${stack.apiUrl}${path}`;
const view = <T>(path: string) => http<T>('GET', url(path), { token: TOKENS.support });

describe('platform cache', () => {
  it('answers repeated views from the cache', async () => {
    await platform.resetCalls();
    const first = await view<CustomerView>('/v1/customers/cus_edsger');
    expect(first.headers.get('x-cache')).toBe('miss');
    for (let i = 0; i < 5; i += 1) {
      const again = await view<CustomerView>('/v1/customers/cus_edsger');
      expect(again.headers.get('x-cache')).toBe('hit');
      expect(again.body).toEqual(first.body);
    }
    await view('/v1/products?limit=10');
    await view('/v1/products?limit=10');
    const calls = await platform.calls();
    expect(calls.getCustomer).toBe(1);
    expect(calls.listProducts).toBe(1);
  });

  it('charges a price changed on the platform on the very next purchase, even while views are cached', async () => {
    const customerId = await platform.newCustomer();
    await http('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      body: { amount: 50_000, currency: 'USD', reason: 'goodwill' },
    });
    const productId = await platform.newProduct(2000);
    expect((await view<ProductView>(`/v1/products/${productId}`)).body.price.amount).toBe(2000);
    await platform.patchProduct(productId, { price: { amount: 2500, currency: 'USD' } });
    // The view may lag by at most the TTL …
    const cached = await view<ProductView>(`/v1/products/${productId}`);
    expect(cached.headers.get('x-cache')).toBe('hit');
    // … the purchase never does.
    await platform.resetCalls();
    const bought = await http<Purchase>('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: newKey(),
      body: { customerId, productId },
    });
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ unitPrice: 2500, total: 2500 });
    expect((await platform.calls()).getProduct).toBe(1);
  });

  it('serves a cached view during an outage where the rule allows, and a clear error where it does not', async () => {
    const customerId = await platform.newCustomer();
    await http('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      body: { amount: 50_000, currency: 'USD', reason: 'goodwill' },
    });
    expect((await view<CustomerView>(`/v1/customers/${customerId}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    await platform.fault({ operation: 'getCustomer', mode: 'error', status: 503, times: -1 });
    const stale = await view<CustomerView>(`/v1/customers/${customerId}`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('stale_if_error');
    expect(Number(stale.headers.get('age'))).toBeGreaterThanOrEqual(1);
    const uncached = await view<Problem>('/v1/customers/cus_barbara');
    expect(uncached.status).toBe(503);
    expect(uncached.body.code).toBe('platform_unavailable');
    const purchase = await http<Problem>('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: newKey(),
      body: { customerId, productId: 'prod_cable' },
    });
    expect(purchase.status).toBe(503);
    expect(purchase.body.code).toBe('platform_unavailable');
  });
});
