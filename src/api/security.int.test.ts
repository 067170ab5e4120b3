/**
 * The HTTP hardening on the real stack: security headers (helmet) on the API, `/docs` and
 * the internal app; the per-token rate limit of money-moving routes (a tiny limit here);
 * body size and media type; amount bounds. Money-moving tests end with the invariants.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../contracts/index.js';
import { MAX_AMOUNT } from '../contracts/index.js';
import { assertBrowserPrerequisites, launchBrowser, openApp, signIn } from '../../test/e2e/browser-support.js';
import { http, newKey } from '../../test/support/http.js';
import { assertAllInvariants } from '../../test/support/invariants.js';
import { PlatformControl } from '../../test/support/platform.js';
import { startStack, TOKENS, type TestStack } from '../../test/support/stack.js';

const LIMIT = 3;
let stack: TestStack;
let platform: PlatformControl;
beforeAll(async () => {
  stack = await startStack({ env: { MAX_GRANT_AMOUNT: '100000' } });
  platform = new PlatformControl(stack.platformUrl);
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await assertAllInvariants(stack);
});

const url = (path: string): string => `${stack.apiUrl}${path}`;

function grant(base: string, customerId: string, token: string, amount = 100): ReturnType<typeof http<Problem>> {
  return http<Problem>('POST', `${base}/v1/customers/${customerId}/credit/grants`, {
    token,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
}

describe('security headers', () => {
  it('the API, the docs and the internal app carry helmet headers and a CSP that allows their own assets', async () => {
    for (const path of ['/v1/health', '/v1/nowhere', '/docs/', '/']) {
      const res = await fetch(url(path));
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('strict-transport-security'), path).toMatch(/max-age=\d+/);
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('API answers are not cacheable; the docs page still loads its scripts from this origin', async () => {
    const me = await http('GET', url('/v1/me'), { token: TOKENS.storefront });
    expect(me.headers.get('cache-control')).toBe('no-store');
    const docs = await (await fetch(url('/docs/'))).text();
    expect(docs).toContain('swagger-ui-init.js');
    expect((await fetch(url('/docs/swagger-ui-init.js'))).status).toBe(200);
  });
});

describe('the CSP in a real browser', () => {
  it('the internal app and /docs render in Chromium with no CSP violation and no page error', async () => {
    assertBrowserPrerequisites();
    const browser = await launchBrowser();
    try {
      const app = await openApp(browser, stack.apiUrl);
      const violations: string[] = [];
      app.page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await signIn(app.page, TOKENS.support);
      await app.page.goto('/docs/');
      await app.page.locator('.swagger-ui .info .title').waitFor();
      await app.page.locator('.opblock').first().waitFor();
      expect(violations).toEqual([]);
      expect(app.pageErrors).toEqual([]);
      await app.close();
    } finally {
      await browser.close();
    }
  });
});

describe('rate limit of money-moving routes', () => {
  // A stack of its own with a tiny limit, so the other tests are not limited.
  let limited: TestStack;
  beforeAll(async () => {
    limited = await startStack({ worker: false, env: { RATE_LIMIT_MONEY_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => {
    if (limited) await assertAllInvariants(limited);
    await limited?.close();
  });

  it(`allows ${LIMIT} per token per minute, then 429 rate_limited with Retry-After; other tokens and reads are not affected`, async () => {
    const customerId = await new PlatformControl(limited.platformUrl).newCustomer();
    for (let i = 0; i < LIMIT; i += 1)
      expect((await grant(limited.apiUrl, customerId, TOKENS.support)).status).toBe(201);
    const refused = await grant(limited.apiUrl, customerId, TOKENS.support);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'rate_limited', status: 429, limit: LIMIT });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit')).toMatch(/remaining=0/);
    // Deductions, refunds and purchases share the token's budget.
    const deduction = await http<Problem>('POST', `${limited.apiUrl}/v1/customers/${customerId}/credit/deductions`, {
      token: TOKENS.support,
      idempotencyKey: newKey('deduct'),
      body: { amount: 1, currency: 'USD', reason: 'correction', note: 'x' },
    });
    expect(deduction.status).toBe(429);
    // Another support token ("bob") has its own budget; reads are never limited.
    expect((await grant(limited.apiUrl, customerId, TOKENS.support2)).status).toBe(201);
    const balance = await http<{ balance: number }>('GET', `${limited.apiUrl}/v1/customers/${customerId}/credit`, {
      token: TOKENS.support,
    });
    expect(balance.status).toBe(200);
    expect(balance.body.balance).toBe(100 * (LIMIT + 1));
  });
});

describe('request bounds', () => {
  it('a body over 32 kB is 413, a non-JSON body 415, an unknown field 400; nothing is written', async () => {
    const customerId = await platform.newCustomer();
    const big = await http<Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.admin,
      idempotencyKey: newKey(),
      rawBody: JSON.stringify({ amount: 1, currency: 'USD', reason: 'other', note: 'x'.repeat(40_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    const text = await http<Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.admin,
      idempotencyKey: newKey(),
      rawBody: 'amount=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('unsupported_media_type');
    const extra = await http<Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.admin,
      idempotencyKey: newKey(),
      body: { amount: 1, currency: 'USD', reason: 'goodwill', actor: 'someone-else' },
    });
    expect(extra.status).toBe(400);
    const credit = await http<{ balance: number }>('GET', url(`/v1/customers/${customerId}/credit`), {
      token: TOKENS.admin,
    });
    expect(credit.body.balance).toBe(0);
  });

  it('amounts are positive safe integers up to MAX_AMOUNT; support grants are capped lower than admin grants', async () => {
    const customerId = await platform.newCustomer();
    for (const amount of [0, -5, 1.5, MAX_AMOUNT + 1, Number.MAX_SAFE_INTEGER + 2, '100']) {
      const res = await http<Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
        token: TOKENS.admin,
        idempotencyKey: newKey(),
        body: { amount, currency: 'USD', reason: 'goodwill' },
      });
      expect(res.status, String(amount)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const support = await http<Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.support2,
      idempotencyKey: newKey(),
      body: { amount: 100_001, currency: 'USD', reason: 'goodwill' },
    });
    expect(support.status).toBe(422);
    expect(support.body).toMatchObject({ code: 'amount_exceeds_limit', limit: 100_000 });
    const admin = await http<Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.admin,
      idempotencyKey: newKey(),
      body: { amount: MAX_AMOUNT, currency: 'USD', reason: 'goodwill' },
    });
    expect(admin.status).toBe(201);
  });
});
