/**
 * The credit API on the real stack: Postgres, platform-mock, Temporal client, the Express app.
 * Every test that writes money ends with the ledger invariants (afterEach).
 */
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreditBalance, CreditMovementResponse, LedgerEntryList, Problem } from '../../contracts/index.js';
import { encodeCursor } from '../cursor.js';
import { http, newKey } from '../../../test/support/http.js';
import { assertLedgerInvariants } from '../../../test/support/invariants.js';
import { startStack, TOKENS, type TestStack } from '../../../test/support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { MAX_GRANT_AMOUNT: '500000' } });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await assertLedgerInvariants(stack.database);
});

const url = (path: string): string => `${stack.apiUrl}${path}`;
const credit = (customerId: string): Promise<CreditBalance> =>
  http<CreditBalance>('GET', url(`/v1/customers/${customerId}/credit`), { token: TOKENS.storefront }).then(
    (r) => r.body,
  );

async function grant(
  customerId: string,
  amount: number,
  extra: Record<string, unknown> = {},
  token: string = TOKENS.support,
) {
  return http<CreditMovementResponse & Problem>('POST', url(`/v1/customers/${customerId}/credit/grants`), {
    token,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill', ...extra },
  });
}

async function deduct(customerId: string, amount: number, key = newKey('deduct')) {
  return http<CreditMovementResponse & Problem>('POST', url(`/v1/customers/${customerId}/credit/deductions`), {
    token: TOKENS.support,
    idempotencyKey: key,
    body: { amount, currency: 'USD', reason: 'correction', note: 'test deduction' },
  });
}

/** A customer of our own on the platform, so a test does not share balances with others. */
async function newCustomer(): Promise<string> {
  const res = await fetch(`${stack.platformUrl}/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Test Customer',
      email: 'test@example.com',
      address: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function platformControl(path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${stack.platformUrl}${path}`, {
    method: body === undefined ? 'DELETE' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
}

describe('balance', () => {
  it('is zero for a known customer with no history', async () => {
    const res = await http<CreditBalance>('GET', url('/v1/customers/cus_alan/credit'), { token: TOKENS.storefront });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      customerId: 'cus_alan',
      currency: 'USD',
      balance: 0,
      held: 0,
      available: 0,
      updatedAt: null,
    });
  });

  it('answers 404 customer_not_found for a customer the platform does not know', async () => {
    const res = await http<Problem>('GET', url('/v1/customers/cus_nobody/credit'), { token: TOKENS.storefront });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'customer_not_found', status: 404 });
    expect(typeof res.body.title).toBe('string');
    expect(res.body.type).toMatch(/^https:\/\//);
    expect(res.body.detail).toContain('cus_nobody');
  });

  it('answers 503 platform_unavailable when the platform fails, and writes nothing', async () => {
    await platformControl('/__control/faults', { operation: 'getCustomer', mode: 'error', status: 503, times: 2 });
    const read = await http<Problem>('GET', url('/v1/customers/cus_barbara/credit'), { token: TOKENS.storefront });
    expect(read.status).toBe(503);
    expect(read.body.code).toBe('platform_unavailable');
    const write = await grant('cus_barbara', 100);
    expect(write.status).toBe(503);
    expect(write.body.code).toBe('platform_unavailable');
    await platformControl('/__control/faults');
    expect((await credit('cus_barbara')).balance).toBe(0);
  });
});

describe('grants and deductions', () => {
  it('grants credit, records the actor, and lists the entry', async () => {
    const res = await grant('cus_ada', 5000, { reason: 'promotion', note: 'welcome bonus' });
    expect(res.status).toBe(201);
    expect(res.body.entry).toMatchObject({
      customerId: 'cus_ada',
      type: 'grant',
      amount: 5000,
      currency: 'USD',
      balanceAfter: 5000,
      reason: 'promotion',
      note: 'welcome bonus',
      actor: 'alice',
      purchaseId: null,
      refundId: null,
    });
    expect(res.body.entry.id).toMatch(/^ent_[0-9A-Z]{26}$/);
    expect(res.body.credit).toMatchObject({ customerId: 'cus_ada', balance: 5000, held: 0, available: 5000 });

    const ded = await deduct('cus_ada', 1200);
    expect(ded.status).toBe(201);
    expect(ded.body.entry).toMatchObject({
      type: 'deduction',
      amount: -1200,
      balanceAfter: 3800,
      reason: 'correction',
      note: 'test deduction',
    });
    expect(await credit('cus_ada')).toMatchObject({ balance: 3800, available: 3800 });

    const entries = await http<LedgerEntryList>('GET', url('/v1/customers/cus_ada/credit/entries'), {
      token: TOKENS.storefront,
    });
    expect(entries.status).toBe(200);
    expect(entries.body.data.map((e) => [e.type, e.amount, e.balanceAfter])).toEqual([
      ['deduction', -1200, 3800],
      ['grant', 5000, 5000],
    ]);
    expect(entries.body.nextCursor).toBeNull();
  });

  it('refuses a deduction above the available credit with 409 and writes nothing', async () => {
    await grant('cus_grace', 1000);
    const before = await http<LedgerEntryList>('GET', url('/v1/customers/cus_grace/credit/entries'), {
      token: TOKENS.support,
    });
    const res = await deduct('cus_grace', 1001);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_credit', available: 1000, required: 1001 });
    const after = await http<LedgerEntryList>('GET', url('/v1/customers/cus_grace/credit/entries'), {
      token: TOKENS.support,
    });
    expect(after.body.data).toEqual(before.body.data);
    expect((await credit('cus_grace')).balance).toBe(1000);
  });

  it('refuses a deduction from a customer with no account with 409', async () => {
    const res = await deduct('cus_edsger', 1);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_credit', available: 0, required: 1 });
  });

  it("refuses another currency than the account's with 422 currency_mismatch", async () => {
    await grant('cus_alan', 100);
    const res = await grant('cus_alan', 100, { currency: 'EUR' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'currency_mismatch', accountCurrency: 'USD' });
    expect((await credit('cus_alan')).balance).toBe(100);
  });

  it('answers 404 customer_not_found for grants to unknown customers', async () => {
    const res = await grant('cus_ghost', 100);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('customer_not_found');
  });

  it('limits a support grant to MAX_GRANT_AMOUNT but lets an admin grant more', async () => {
    const support = await grant('cus_barbara', 500_001);
    expect(support.status).toBe(422);
    expect(support.body).toMatchObject({ code: 'amount_exceeds_limit', limit: 500000 });
    const admin = await grant('cus_barbara', 500_001, {}, TOKENS.admin);
    expect(admin.status).toBe(201);
    expect(admin.body.entry.actor).toBe('root');
  });
});

describe('validation', () => {
  const cases: [string, unknown, string][] = [
    ['an unknown field', { amount: 1, currency: 'USD', reason: 'goodwill', extra: true }, 'body'],
    ['a float amount', { amount: 1.5, currency: 'USD', reason: 'goodwill' }, 'body.amount'],
    ['a zero amount', { amount: 0, currency: 'USD', reason: 'goodwill' }, 'body.amount'],
    ['a negative amount', { amount: -5, currency: 'USD', reason: 'goodwill' }, 'body.amount'],
    ['an amount as a string', { amount: '100', currency: 'USD', reason: 'goodwill' }, 'body.amount'],
    ['an absurd amount', { amount: 1e15, currency: 'USD', reason: 'goodwill' }, 'body.amount'],
    ['a lower-case currency', { amount: 1, currency: 'usd', reason: 'goodwill' }, 'body.currency'],
    ['an unknown reason', { amount: 1, currency: 'USD', reason: 'because' }, 'body.reason'],
    ['reason other without a note', { amount: 1, currency: 'USD', reason: 'other' }, 'body.note'],
    ['reason correction without a note', { amount: 1, currency: 'USD', reason: 'correction' }, 'body.note'],
    // Postgres cannot store U+0000 in a text column: this was a 500.
    ['a note with a NUL character', { amount: 1, currency: 'USD', reason: 'goodwill', note: 'a\u0000b' }, 'body.note'],
    [
      'a note of JavaScript whitespace only',
      { amount: 1, currency: 'USD', reason: 'other', note: '\ufeff\u3000' },
      'body.note',
    ],
  ];
  it.each(cases)('rejects %s with 400 validation_failed', async (_label, body, path) => {
    const res = await http<Problem>('POST', url('/v1/customers/cus_ada/credit/grants'), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      body,
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors?.map((e) => e.path)).toContain(path);
  });

  it('rejects malformed JSON with 400 malformed_json', async () => {
    const res = await http<Problem>('POST', url('/v1/customers/cus_ada/credit/grants'), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      rawBody: '{"amount": ',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_json');
  });

  it('rejects an oversized body with 413', async () => {
    const res = await http<Problem>('POST', url('/v1/customers/cus_ada/credit/grants'), {
      token: TOKENS.support,
      idempotencyKey: newKey(),
      body: { amount: 1, currency: 'USD', reason: 'other', note: 'x'.repeat(64 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('rejects a bad path id and a bad list query', async () => {
    const id = await http<Problem>('GET', url('/v1/customers/bad%20id/credit'), { token: TOKENS.storefront });
    expect(id.status).toBe(400);
    const limit = await http<Problem>('GET', url('/v1/customers/cus_ada/credit/entries?limit=500'), {
      token: TOKENS.storefront,
    });
    expect(limit.status).toBe(400);
    expect(limit.body.errors?.[0]?.path).toBe('query.limit');
    // Not base64url: outside the documented format → 400; well-formed but never issued → 422.
    const malformed = await http<Problem>('GET', url('/v1/customers/cus_ada/credit/entries?cursor=not%20a%20cursor'), {
      token: TOKENS.storefront,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors?.[0]?.path).toBe('query.cursor');
    const cursor = await http<Problem>('GET', url('/v1/customers/cus_ada/credit/entries?cursor=garbage'), {
      token: TOKENS.storefront,
    });
    expect({ status: cursor.status, code: cursor.body.code }).toEqual({ status: 422, code: 'cursor_invalid' });
  });
});

describe('idempotency', () => {
  const path = '/v1/customers/cus_edsger/credit/grants';
  const body = { amount: 700, currency: 'USD', reason: 'goodwill' };

  it('requires an Idempotency-Key on money-moving POSTs', async () => {
    const res = await http<Problem>('POST', url(path), { token: TOKENS.support, body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_required');
  });

  it('replays the first response for the same key and body, moving money once', async () => {
    const key = newKey('replay');
    const first = await http<CreditMovementResponse>('POST', url(path), {
      token: TOKENS.support,
      idempotencyKey: key,
      body,
    });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Same body with keys in another order is the same request.
    const second = await http<CreditMovementResponse>('POST', url(path), {
      token: TOKENS.support,
      idempotencyKey: key,
      body: { reason: 'goodwill', currency: 'USD', amount: 700 },
    });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    const entries = await http<LedgerEntryList>('GET', url('/v1/customers/cus_edsger/credit/entries'), {
      token: TOKENS.support,
    });
    expect(entries.body.data.filter((e) => e.id === first.body.entry.id)).toHaveLength(1);
    expect(entries.body.data).toHaveLength(1);
  });

  it('replays concurrent duplicates once', async () => {
    const key = newKey('race');
    const before = (await credit('cus_edsger')).balance;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        http<CreditMovementResponse>('POST', url(path), { token: TOKENS.support, idempotencyKey: key, body }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.body.entry.id)).size).toBe(1);
    expect((await credit('cus_edsger')).balance).toBe(before + 700);
  });

  it('answers 422 idempotency_key_reused for the same key with another body', async () => {
    const key = newKey('reuse');
    expect((await http('POST', url(path), { token: TOKENS.support, idempotencyKey: key, body })).status).toBe(201);
    const res = await http<Problem>('POST', url(path), {
      token: TOKENS.support,
      idempotencyKey: key,
      body: { ...body, amount: 701 },
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('idempotency_key_reused');
    const other = await http<Problem>('POST', url('/v1/customers/cus_edsger/credit/deductions'), {
      token: TOKENS.support,
      idempotencyKey: key,
      body,
    });
    expect(other.status).toBe(422);
  });

  it('replays a refusal too: a stored 409 stays 409 for that key', async () => {
    const key = newKey('refusal');
    const first = await deduct('cus_barbara', 10_000_000, key);
    expect(first.status).toBe(409);
    const again = await deduct('cus_barbara', 10_000_000, key);
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('scopes keys to the caller', async () => {
    const key = newKey('scoped');
    const a = await http<CreditMovementResponse>('POST', url(path), {
      token: TOKENS.support,
      idempotencyKey: key,
      body,
    });
    const b = await http<CreditMovementResponse>('POST', url(path), {
      token: TOKENS.support2,
      idempotencyKey: key,
      body,
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.entry.id).not.toBe(a.body.entry.id);
    expect(b.body.entry.actor).toBe('bob');
  });
});

describe('authentication and roles', () => {
  it('answers 401 without a token or with an unknown one', async () => {
    for (const token of [null, 'nope_nope_nope']) {
      const res = await http<Problem>('GET', url('/v1/customers/cus_ada/credit'), { token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthenticated');
    }
  });

  it('answers 403 when the storefront tries to grant or deduct', async () => {
    for (const kind of ['grants', 'deductions']) {
      const res = await http<Problem>('POST', url(`/v1/customers/cus_ada/credit/${kind}`), {
        token: TOKENS.storefront,
        idempotencyKey: newKey(),
        body: { amount: 1, currency: 'USD', reason: 'goodwill' },
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
  });
});

/** The database's own message for a statement that must fail (Drizzle wraps it in `cause`). */
async function databaseError(query: SQL): Promise<string> {
  try {
    await stack.database.db.execute(query);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : String(error);
  }
  return 'no error';
}

describe('ledger', () => {
  it('pages entries newest first with a keyset cursor', async () => {
    for (let i = 1; i <= 25; i += 1) expect((await grant('cus_noaddr', i)).status).toBe(201);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=10&cursor=${cursor}` : '?limit=10';
      const page: { body: LedgerEntryList } = await http<LedgerEntryList>(
        'GET',
        url(`/v1/customers/cus_noaddr/credit/entries${q}`),
        { token: TOKENS.storefront },
      );
      seen.push(...page.body.data.map((e) => e.amount));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
  });

  it('answers an empty page without an entry: no account yet, below the first entry; 404 for an unknown customer', async () => {
    const customerId = await newCustomer();
    const entries = (q = ''): Promise<{ status: number; body: LedgerEntryList & Problem }> =>
      http<LedgerEntryList & Problem>('GET', url(`/v1/customers/${customerId}/credit/entries${q}`), {
        token: TOKENS.storefront,
      });
    expect(await entries()).toMatchObject({ status: 200, body: { data: [], nextCursor: null } });
    expect((await grant(customerId, 5)).status).toBe(201);
    expect((await entries()).body.data.map((e) => e.amount)).toEqual([5]);
    expect(await entries(`?cursor=${encodeCursor({ v: 1 })}`)).toMatchObject({
      status: 200,
      body: { data: [], nextCursor: null },
    });
    const unknown = await http<Problem>('GET', url('/v1/customers/cus_nobody/credit/entries'), {
      token: TOKENS.storefront,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('customer_not_found');
  });

  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE of entries', async () => {
    await grant('cus_ada', 1);
    expect(await databaseError(sql`update ledger_entries set amount = amount + 1`)).toMatch(/append-only: UPDATE/);
    expect(await databaseError(sql`delete from ledger_entries`)).toMatch(/append-only: DELETE/);
    expect(await databaseError(sql`truncate ledger_entries cascade`)).toMatch(/append-only: TRUNCATE/);
  });

  it('refuses a balance below zero even from a direct write', async () => {
    expect(await databaseError(sql`update credit_accounts set balance = -1 where customer_id = 'cus_ada'`)).toMatch(
      /credit_accounts_available_nonnegative/,
    );
    expect(
      await databaseError(sql`update credit_accounts set held = balance + 1 where customer_id = 'cus_ada'`),
    ).toMatch(/credit_accounts_available_nonnegative/);
  });
});

describe('concurrency', () => {
  it('never overdraws: 50 concurrent deductions of 30 against 1000 → exactly 33 succeed', async () => {
    const customerId = await newCustomer();
    expect((await grant(customerId, 1000)).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 50 }, () => deduct(customerId, 30)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(33);
    expect(statuses.filter((s) => s !== 201)).toEqual(Array(17).fill(409));
    expect(await credit(customerId)).toMatchObject({ balance: 10, held: 0, available: 10 });
  });

  it('never loses an update: 40 concurrent grants of 1 all land', async () => {
    const customerId = await newCustomer();
    const results = await Promise.all(Array.from({ length: 40 }, () => grant(customerId, 1)));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect((await credit(customerId)).balance).toBe(40);
    const balances = results.map((r) => r.body.entry.balanceAfter).sort((a, b) => a - b);
    expect(balances).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
