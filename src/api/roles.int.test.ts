/**
 * The role × route matrix: every operation of the served OpenAPI document, called by every
 * kind of caller (no token, an unknown token, storefront, support, admin). Below the route's
 * role → 401 (no or unknown token) or 403 (known token); at or above it → neither, and no
 * 5xx. Money-moving rows send a valid body with a fresh Idempotency-Key, so an allowed caller
 * really moves money (and the test ends with the invariants).
 *
 * The table must name every operation of `/v1/openapi.json` and nothing else: a new route
 * without a row fails here. No token ever reaches a log line (captured at debug level).
 * The matrix is written to test-results/role-matrix.md for RELIABILITY.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Purchase } from '../contracts/index.js';
import { createLogger } from '../logger.js';
import { http, newKey } from '../../test/support/http.js';
import { assertAllInvariants } from '../../test/support/invariants.js';
import { PlatformControl } from '../../test/support/platform.js';
import { startStack, TOKENS, type TestStack } from '../../test/support/stack.js';

type MinRole = 'public' | 'any' | 'storefront' | 'support' | 'admin';
type Caller = 'none' | 'unknown' | 'storefront' | 'support' | 'admin';

interface Row {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** As in the OpenAPI document. */
  readonly template: string;
  readonly role: MinRole;
  /** The concrete path to call (fixtures filled in). */
  readonly path: () => string;
  readonly body?: () => unknown;
  readonly idempotent?: boolean;
}

const CALLERS: readonly Caller[] = ['none', 'unknown', 'storefront', 'support', 'admin'];
const CALLER_TOKEN: Record<Caller, string | null> = {
  none: null,
  unknown: 'test_unknown_token_of_nobody',
  storefront: TOKENS.storefront,
  support: TOKENS.support,
  admin: TOKENS.admin,
};
const RANK: Record<Caller, number> = { none: 0, unknown: 0, storefront: 1, support: 2, admin: 3 };
const NEEDS: Record<MinRole, number> = { public: 0, any: 1, storefront: 1, support: 2, admin: 3 };

let stack: TestStack;
let platform: PlatformControl;
const logLines: string[] = [];
const fixture = {
  customerId: '',
  purchaseId: '',
  promoSeq: 0,
  approvalToApprove: '',
  approvalToReject: '',
  webhookEndpointId: '',
};

const ROWS: readonly Row[] = [
  { method: 'GET', template: '/v1/health', role: 'public', path: () => '/v1/health' },
  { method: 'GET', template: '/v1/ready', role: 'public', path: () => '/v1/ready' },
  { method: 'GET', template: '/v1/openapi.json', role: 'public', path: () => '/v1/openapi.json' },
  { method: 'GET', template: '/v1/me', role: 'any', path: () => '/v1/me' },
  {
    method: 'GET',
    template: '/v1/customers/{customerId}/credit',
    role: 'storefront',
    path: () => `/v1/customers/${fixture.customerId}/credit`,
  },
  {
    method: 'GET',
    template: '/v1/customers/{customerId}/credit/entries',
    role: 'storefront',
    path: () => `/v1/customers/${fixture.customerId}/credit/entries`,
  },
  {
    method: 'POST',
    template: '/v1/customers/{customerId}/credit/grants',
    role: 'support',
    idempotent: true,
    path: () => `/v1/customers/${fixture.customerId}/credit/grants`,
    body: () => ({ amount: 100, currency: 'USD', reason: 'goodwill' }),
  },
  {
    method: 'POST',
    template: '/v1/customers/{customerId}/credit/deductions',
    role: 'support',
    idempotent: true,
    path: () => `/v1/customers/${fixture.customerId}/credit/deductions`,
    body: () => ({ amount: 1, currency: 'USD', reason: 'correction', note: 'role matrix' }),
  },
  { method: 'GET', template: '/v1/customers', role: 'support', path: () => '/v1/customers?query=ada' },
  { method: 'GET', template: '/v1/customers/{customerId}', role: 'support', path: () => '/v1/customers/cus_ada' },
  { method: 'GET', template: '/v1/products', role: 'support', path: () => '/v1/products' },
  { method: 'GET', template: '/v1/products/{productId}', role: 'support', path: () => '/v1/products/prod_mouse' },
  {
    method: 'POST',
    template: '/v1/purchases',
    role: 'storefront',
    idempotent: true,
    path: () => '/v1/purchases',
    body: () => ({ customerId: fixture.customerId, productId: 'prod_mouse' }),
  },
  {
    method: 'GET',
    template: '/v1/purchases',
    role: 'storefront',
    path: () => `/v1/purchases?customerId=${fixture.customerId}`,
  },
  {
    method: 'GET',
    template: '/v1/purchases/{purchaseId}',
    role: 'storefront',
    path: () => `/v1/purchases/${fixture.purchaseId}`,
  },
  {
    method: 'GET',
    template: '/v1/purchase-attempts/{attemptId}',
    role: 'storefront',
    path: () => `/v1/purchase-attempts/${fixture.purchaseId}`,
  },
  {
    method: 'GET',
    template: '/v1/purchase-attempts',
    role: 'support',
    path: () => `/v1/purchase-attempts?customerId=${fixture.customerId}`,
  },
  {
    method: 'POST',
    template: '/v1/purchase-attempts/{attemptId}/cancel',
    role: 'admin',
    path: () => `/v1/purchase-attempts/${fixture.purchaseId}/cancel`,
    body: () => ({ reason: 'role matrix' }),
  },
  {
    method: 'POST',
    template: '/v1/purchases/{purchaseId}/refunds',
    role: 'support',
    idempotent: true,
    path: () => `/v1/purchases/${fixture.purchaseId}/refunds`,
    body: () => ({ amount: 1, reason: 'goodwill' }),
  },
  {
    method: 'GET',
    template: '/v1/purchases/{purchaseId}/refunds',
    role: 'storefront',
    path: () => `/v1/purchases/${fixture.purchaseId}/refunds`,
  },
  {
    method: 'GET',
    template: '/v1/customers/{customerId}/credit/statement',
    role: 'support',
    path: () => `/v1/customers/${fixture.customerId}/credit/statement?from=2026-01-01T00:00:00Z`,
  },
  // An empty period: the NDJSON body is then empty (the helper parses JSON bodies).
  {
    method: 'GET',
    template: '/v1/ledger/entries/export',
    role: 'admin',
    path: () => '/v1/ledger/entries/export?to=2000-01-01T00:00:00Z',
  },
  { method: 'POST', template: '/v1/ledger/verify', role: 'admin', path: () => '/v1/ledger/verify' },
  { method: 'GET', template: '/v1/reconciliation/runs', role: 'admin', path: () => '/v1/reconciliation/runs' },
  { method: 'POST', template: '/v1/reconciliation/runs', role: 'admin', path: () => '/v1/reconciliation/runs' },
  {
    method: 'GET',
    template: '/v1/reconciliation/runs/{runId}',
    role: 'admin',
    path: () => '/v1/reconciliation/runs/run_00000000000000000000000000',
  },
  {
    method: 'POST',
    template: '/v1/promo-codes',
    role: 'admin',
    path: () => '/v1/promo-codes',
    body: () => ({ code: `ROLES${(fixture.promoSeq += 1)}`, kind: 'percent', percentOff: 5 }),
  },
  { method: 'GET', template: '/v1/promo-codes', role: 'admin', path: () => '/v1/promo-codes' },
  { method: 'GET', template: '/v1/promo-codes/{code}', role: 'admin', path: () => '/v1/promo-codes/ROLESFIX' },
  {
    method: 'PATCH',
    template: '/v1/promo-codes/{code}',
    role: 'admin',
    path: () => '/v1/promo-codes/ROLESFIX',
    body: () => ({ maxRedemptions: 50 }),
  },
  { method: 'DELETE', template: '/v1/promo-codes/{code}', role: 'admin', path: () => '/v1/promo-codes/ROLESFIX' },
  { method: 'GET', template: '/v1/approvals', role: 'support', path: () => '/v1/approvals?status=pending' },
  { method: 'GET', template: '/v1/events', role: 'storefront', path: () => '/v1/events?after=0&limit=5' },
  {
    method: 'GET',
    template: '/v1/approvals/{approvalId}',
    role: 'support',
    path: () => `/v1/approvals/${fixture.approvalToApprove}`,
  },
  {
    method: 'POST',
    template: '/v1/approvals/{approvalId}/approve',
    role: 'admin',
    path: () => `/v1/approvals/${fixture.approvalToApprove}/approve`,
    body: () => ({ note: 'role matrix' }),
  },
  {
    method: 'POST',
    template: '/v1/approvals/{approvalId}/reject',
    role: 'admin',
    path: () => `/v1/approvals/${fixture.approvalToReject}/reject`,
    body: () => ({ note: 'role matrix' }),
  },
  {
    method: 'POST',
    template: '/v1/webhook-endpoints',
    role: 'admin',
    path: () => '/v1/webhook-endpoints',
    body: () => ({ url: 'http://127.0.0.1:9/roles', types: ['credit.granted'] }),
  },
  { method: 'GET', template: '/v1/webhook-endpoints', role: 'admin', path: () => '/v1/webhook-endpoints' },
  {
    method: 'GET',
    template: '/v1/webhook-endpoints/{id}',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}`,
  },
  {
    method: 'PATCH',
    template: '/v1/webhook-endpoints/{id}',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}`,
    body: () => ({ description: 'role matrix' }),
  },
  {
    method: 'GET',
    template: '/v1/webhook-endpoints/{id}/deliveries',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}/deliveries`,
  },
  {
    method: 'POST',
    template: '/v1/webhook-endpoints/{id}/test',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}/test`,
  },
  {
    method: 'POST',
    template: '/v1/webhook-endpoints/{id}/resend',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}/resend`,
    body: () => ({ eventId: 'evt_01JDQ3Y9V4T8K2M6N0P5R7S9W1' }),
  },
  {
    method: 'POST',
    template: '/v1/webhook-endpoints/{id}/secret/rotate',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}/secret/rotate`,
  },
  {
    method: 'DELETE',
    template: '/v1/webhook-endpoints/{id}',
    role: 'admin',
    path: () => `/v1/webhook-endpoints/${fixture.webhookEndpointId}`,
  },
];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  stack = await startStack({ logger: createLogger('debug', 'roles-test', sink), env: { APPROVAL_THRESHOLD: '50000' } });
  platform = new PlatformControl(stack.platformUrl);
  fixture.customerId = await platform.newCustomer();
  const granted = await http('POST', `${stack.apiUrl}/v1/customers/${fixture.customerId}/credit/grants`, {
    token: TOKENS.admin,
    idempotencyKey: newKey('fixture'),
    body: { amount: 50_000, currency: 'USD', reason: 'goodwill' },
  });
  expect(granted.status).toBe(201);
  const bought = await http<Purchase>('POST', `${stack.apiUrl}/v1/purchases`, {
    token: TOKENS.storefront,
    idempotencyKey: newKey('fixture'),
    body: { customerId: fixture.customerId, productId: 'prod_mouse' },
  });
  expect(bought.status).toBe(201);
  fixture.purchaseId = bought.body.id;
  for (const which of ['approvalToApprove', 'approvalToReject'] as const) {
    const requested = await http<{ approvalId: string }>(
      'POST',
      `${stack.apiUrl}/v1/customers/${fixture.customerId}/credit/grants`,
      {
        token: TOKENS.support,
        idempotencyKey: newKey('fixture'),
        body: { amount: 60_000, currency: 'USD', reason: 'goodwill' },
      },
    );
    expect(requested.status).toBe(202);
    fixture[which] = requested.body.approvalId;
  }
  const hook = await http<{ id: string }>('POST', `${stack.apiUrl}/v1/webhook-endpoints`, {
    token: TOKENS.admin,
    body: { url: 'http://127.0.0.1:9/roles', types: ['credit.granted'] },
  });
  expect(hook.status).toBe(201);
  fixture.webhookEndpointId = hook.body.id;
  const promo = await http('POST', `${stack.apiUrl}/v1/promo-codes`, {
    token: TOKENS.admin,
    body: { code: 'ROLESFIX', kind: 'percent', percentOff: 5 },
  });
  expect(promo.status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
});

const results = new Map<string, Record<Caller, number>>();

describe('role × route matrix', () => {
  it('the table covers every operation of the served OpenAPI document, and nothing else', async () => {
    const doc = await http<{ paths: Record<string, Record<string, unknown>> }>(
      'GET',
      `${stack.apiUrl}/v1/openapi.json`,
    );
    const documented = Object.entries(doc.body.paths)
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    const tabled = ROWS.map((r) => `${r.method} ${r.template}`).sort();
    expect(tabled).toEqual(documented);
  });

  for (const row of ROWS) {
    it(`${row.method} ${row.template} needs ${row.role}`, async () => {
      const statuses = {} as Record<Caller, number>;
      for (const caller of CALLERS) {
        const res = await http(row.method, `${stack.apiUrl}${row.path()}`, {
          token: CALLER_TOKEN[caller],
          ...(row.idempotent ? { idempotencyKey: newKey(`roles-${caller}`) } : {}),
          ...(row.body ? { body: row.body() } : {}),
        });
        statuses[caller] = res.status;
        const allowed = RANK[caller] >= NEEDS[row.role];
        const context = `${row.method} ${row.path()} as ${caller}: ${res.status} ${JSON.stringify(res.body)}`;
        if (allowed) {
          expect([401, 403], context).not.toContain(res.status);
          expect(res.status, context).toBeLessThan(500);
        } else {
          expect(res.status, context).toBe(caller === 'none' || caller === 'unknown' ? 401 : 403);
          expect((res.body as { code?: string }).code, context).toBe(
            res.status === 401 ? 'unauthenticated' : 'forbidden',
          );
          expect(res.headers.get('content-type'), context).toContain('application/problem+json');
        }
      }
      results.set(`${row.method} ${row.template}`, statuses);
    });
  }

  it('a malformed Authorization header is 401, never a 5xx', async () => {
    for (const header of [
      'Bearer',
      'Basic dXNlcjpwYXNz',
      `bearer  ${TOKENS.admin}x`,
      `Bearer ${TOKENS.admin} extra`,
      `Token ${TOKENS.admin}`,
    ]) {
      const res = await http('GET', `${stack.apiUrl}/v1/me`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it('no token appears in any log line', () => {
    expect(logLines.length).toBeGreaterThan(100);
    const all = logLines.join('');
    for (const token of [...Object.values(TOKENS), CALLER_TOKEN.unknown ?? '']) expect(all).not.toContain(token);
  });

  it('the books are right after the allowed callers moved money', async () => {
    await assertAllInvariants(stack);
    const lines = [
      '| method | path | minimum role | no token | unknown token | storefront | support | admin |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...ROWS.map((r) => {
        const s = results.get(`${r.method} ${r.template}`);
        return `| ${r.method} | \`${r.template}\` | ${r.role} | ${CALLERS.map((c) => String(s?.[c] ?? '—')).join(' | ')} |`;
      }),
    ];
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/role-matrix.md', `${lines.join('\n')}\n`);
  });
});
