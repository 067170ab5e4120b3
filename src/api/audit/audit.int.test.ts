/**
 * Balances at an instant, statements and the finance export on the real stack. A busy account
 * (grants, deductions, purchases whose holds overlap them, a failed purchase whose hold is
 * released) is replayed by the test itself from the raw history — the sum of the amounts, not
 * balance_after — and compared with the API at 1,000 random instants (and at every event's
 * exact microsecond, and one microsecond either side); statements of random periods add up.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { sql, type SQL } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreditBalance, ExportedEntry, Problem, Statement } from '../../contracts/index.js';
import { chainHash, GENESIS_HASH, formatMicros } from '../../domain/ledger-chain.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack({ env: { PURCHASE_SYNC_TIMEOUT_MS: '8000' } }, (started, control) => {
  stack = started;
  platform = control;
});

const url = (path: string): string => `${stack.apiUrl}${path}`;

async function exec(query: SQL): Promise<Record<string, unknown>[]> {
  const result = await stack.database.db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

async function movement(customerId: string, kind: 'grants' | 'deductions', amount: number): Promise<void> {
  const res = await http('POST', url(`/v1/customers/${customerId}/credit/${kind}`), {
    token: TOKENS.support,
    idempotencyKey: newKey(kind),
    body: {
      amount,
      currency: 'USD',
      reason: kind === 'grants' ? 'goodwill' : 'correction',
      note: 'busy, "quoted", =formula',
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function purchase(customerId: string, productId: string): Promise<number> {
  const res = await http('POST', url('/v1/purchases'), {
    token: TOKENS.storefront,
    idempotencyKey: newKey('buy'),
    body: { customerId, productId },
  });
  return res.status;
}

interface History {
  readonly entries: { micros: bigint; amount: number }[];
  readonly holds: { created: bigint; resolved: bigint | null; amount: number }[];
}

const micros = (column: string): SQL => sql.raw(`((extract(epoch from ${column}) * 1000000)::bigint)::text`);

async function historyOf(customerId: string): Promise<History> {
  const entries = (
    await exec(
      sql`select ${micros('created_at')} as t, amount::text as amount from ledger_entries where customer_id = ${customerId}`,
    )
  ).map((r) => ({ micros: BigInt(String(r.t)), amount: Number(r.amount) }));
  const holds = (
    await exec(sql`select ${micros('created_at')} as c, case when resolved_at is null then null else ${micros('resolved_at')} end as r, amount::text as amount
                                 from credit_holds where customer_id = ${customerId}`)
  ).map((r) => ({
    created: BigInt(String(r.c)),
    resolved: typeof r.r === 'string' ? BigInt(r.r) : null,
    amount: Number(r.amount),
  }));
  return { entries, holds };
}

/** The test's own replay: Σ amounts of entries up to t; Σ holds created by t and not resolved by then. */
function replay(h: History, t: bigint): { balance: number; held: number } {
  let balance = 0;
  for (const e of h.entries) if (e.micros <= t) balance += e.amount;
  let held = 0;
  for (const x of h.holds) if (x.created <= t && (x.resolved === null || x.resolved > t)) held += x.amount;
  return { balance, held };
}

let busy: string;
let history: History;

beforeAll(async () => {
  busy = await platform.newCustomer();
  await movement(busy, 'grants', 500_000);
  // Rounds of concurrent traffic: purchases (holds that overlap the other movements) beside grants and deductions.
  for (let round = 0; round < 6; round += 1) {
    const statuses = await Promise.all([
      purchase(busy, 'prod_cable'),
      purchase(busy, 'prod_mouse'),
      movement(busy, 'grants', 1_000 + round).then(() => 201),
      movement(busy, 'deductions', 700 + round).then(() => 201),
      movement(busy, 'grants', 333).then(() => 201),
    ]);
    expect(
      statuses.every((s) => s === 201),
      String(statuses),
    ).toBe(true);
  }
  // A purchase the platform refuses: its hold is reserved, then released (no entry).
  await platform.fault({ operation: 'createShipment', mode: 'reject', status: 400, times: 1 });
  expect(await purchase(busy, 'prod_cable')).toBe(502);
  await platform.clearFaults();
  history = await historyOf(busy);
  expect(history.entries.length).toBeGreaterThanOrEqual(31);
  expect(history.holds.some((h) => h.resolved !== null)).toBe(true);
}, 180_000);

async function asOf(customerId: string, instant: string): Promise<CreditBalance> {
  const res = await http<CreditBalance>(
    'GET',
    url(`/v1/customers/${customerId}/credit?asOf=${encodeURIComponent(instant)}`),
    { token: TOKENS.storefront },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe('balance at an instant', () => {
  it("equals the test's own replay at 1,000 random instants and at every event's boundaries", async () => {
    const events = [
      ...history.entries.map((e) => e.micros),
      ...history.holds.flatMap((h) => (h.resolved === null ? [h.created] : [h.created, h.resolved])),
    ];
    const first = events.reduce((a, b) => (a < b ? a : b)) - 1_000_000n;
    const nowMicros = BigInt(Date.now() - 5) * 1000n;
    const afterLast = events.reduce((a, b) => (a > b ? a : b)) + 1_000_000n;
    const last = afterLast < nowMicros ? afterLast : nowMicros;
    const instants: bigint[] = [];
    for (let i = 0; i < 1000; i += 1) instants.push(first + BigInt(Math.floor(Math.random() * Number(last - first))));
    for (const e of events) instants.push(e - 1n, e, e + 1n);
    let held = 0;
    for (const t of instants) {
      const expected = replay(history, t);
      const got = await asOf(busy, formatMicros(t));
      expect({ at: formatMicros(t), balance: got.balance, held: got.held, available: got.available }).toEqual({
        at: formatMicros(t),
        ...expected,
        available: expected.balance - expected.held,
      });
      if (got.held > 0) held += 1;
    }
    // The history had holds outstanding at some of the instants: the held part was exercised.
    expect(held).toBeGreaterThan(0);
  }, 300_000);

  it("now equals today's balance read; before the first movement is zero in the account's currency; offsets are honoured", async () => {
    const now = (await http<CreditBalance>('GET', url(`/v1/customers/${busy}/credit`), { token: TOKENS.storefront }))
      .body;
    const then = await asOf(busy, new Date().toISOString());
    expect({ balance: then.balance, held: then.held, currency: then.currency }).toEqual({
      balance: now.balance,
      held: now.held,
      currency: now.currency,
    });
    expect(await asOf(busy, '2020-01-01T00:00:00Z')).toEqual({
      customerId: busy,
      currency: 'USD',
      balance: 0,
      held: 0,
      available: 0,
      updatedAt: null,
      asOf: '2020-01-01T00:00:00Z',
    });
    const mid = history.entries[10]?.micros ?? 0n;
    const iso = formatMicros(mid);
    const shifted = `${new Date(Number(mid / 1000n) + 2 * 3600_000).toISOString().slice(0, 19)}.${iso.slice(20, 26)}+02:00`;
    expect((await asOf(busy, shifted)).balance).toBe(replay(history, mid).balance);
  });

  it('refuses an instant in the future (400 instant_in_future) and a malformed one (400 validation_failed)', async () => {
    const future = await http<Problem>(
      'GET',
      url(`/v1/customers/${busy}/credit?asOf=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
      { token: TOKENS.storefront },
    );
    expect(future.status).toBe(400);
    expect(future.body.code).toBe('instant_in_future');
    const bad = await http<Problem>('GET', url(`/v1/customers/${busy}/credit?asOf=yesterday`), {
      token: TOKENS.storefront,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    const unknown = await http<Problem>('GET', url('/v1/customers/cus_nobody/credit?asOf=2026-01-01T00:00:00Z'), {
      token: TOKENS.storefront,
    });
    expect(unknown.status).toBe(404);
  });
});

/** The JSON Schema pattern the served document gives a query parameter of an operation. */
async function documentedPattern(path: string, name: string): Promise<RegExp> {
  const document = (await (await fetch(url('/v1/openapi.json'))).json()) as {
    paths: Record<string, { get?: { parameters?: { name: string; schema?: { pattern?: string } }[] } }>;
  };
  const pattern = document.paths[path]?.get?.parameters?.find((p) => p.name === name)?.schema?.pattern;
  expect(pattern, `${path} ${name}`).toBeTypeOf('string');
  return new RegExp(pattern ?? '$^');
}

/**
 * Instants at and past the bounds of the shared instant schema (years 1970–2999, offsets within
 * ±14:00, real calendar days), all in the past; the first two are the 500s Schemathesis found.
 */
const BOUNDARY_INSTANTS: readonly { readonly instant: string; readonly admitted: boolean }[] = [
  { instant: '1186-05-15T19:28:03.3-19:53', admitted: false },
  { instant: '0667-01-12T17:09:31-22:00', admitted: false },
  { instant: '0022-01-01T00:00:00Z', admitted: false },
  { instant: '1969-12-31T23:59:59Z', admitted: false },
  { instant: '2020-01-01T00:00:00+14:01', admitted: false },
  { instant: '2020-01-01T00:00:00-15:00', admitted: false },
  { instant: '2023-02-29T00:00:00Z', admitted: false },
  { instant: '2020-01-01T00:00:00.1234567890Z', admitted: false },
  { instant: '1970-01-01T00:00:00+14:00', admitted: true },
  { instant: '1970-01-01T00:00:00Z', admitted: true },
  { instant: '2024-02-29T23:59:59.999999999-14:00', admitted: true },
  { instant: '2020-06-30T12:00:00+13:59', admitted: true },
];

describe('instants at the bounds of the document', () => {
  it('the balance, the statement and the export take every instant the document admits and refuse the others with 400 validation_failed (never 500)', async () => {
    const cases = [
      { path: '/v1/customers/{customerId}/credit', param: 'asOf', token: TOKENS.storefront },
      { path: '/v1/customers/{customerId}/credit/statement', param: 'from', token: TOKENS.support },
      { path: '/v1/ledger/entries/export', param: 'to', token: TOKENS.admin },
    ];
    for (const { path, param, token } of cases) {
      const pattern = await documentedPattern(path, param);
      for (const { instant, admitted } of BOUNDARY_INSTANTS) {
        expect(pattern.test(instant), `${param}=${instant}: the document`).toBe(admitted);
        const res = await fetch(url(`${path.replace('{customerId}', busy)}?${param}=${encodeURIComponent(instant)}`), {
          headers: { authorization: `Bearer ${token}` },
        });
        const text = await res.text();
        expect(res.status, `${path} ${param}=${instant}: ${text}`).toBe(admitted ? 200 : 400);
        if (!admitted) expect((JSON.parse(text) as Problem).code).toBe('validation_failed');
      }
    }
    // Before the first movement of the account, even at the earliest admitted instant.
    expect(await asOf(busy, '1970-01-01T00:00:00+14:00')).toMatchObject({ balance: 0, held: 0 });
  }, 60_000);
});

/** RFC 4180 parser, enough for the test: quoted fields with "" and commas. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

describe('statements', () => {
  it('for 40 random periods: opening + Σ = closing, opening and closing are the balances at from and to, totals add up; the CSV too', async () => {
    const times = history.entries.map((e) => e.micros).sort((a, b) => (a < b ? -1 : 1));
    const lo = (times[0] ?? 0n) - 500_000n;
    const hi = (times[times.length - 1] ?? 0n) + 1n;
    for (let i = 0; i < 40; i += 1) {
      const a = lo + BigInt(Math.floor(Math.random() * Number(hi - lo)));
      const b = lo + BigInt(Math.floor(Math.random() * Number(hi - lo)));
      const [from, to] = a < b ? [a, b] : [b, a + 1n];
      const q = `from=${encodeURIComponent(formatMicros(from))}&to=${encodeURIComponent(formatMicros(to))}`;
      const res = await http<Statement>('GET', url(`/v1/customers/${busy}/credit/statement?${q}`), {
        token: TOKENS.support,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const s = res.body;
      const sum = s.entries.reduce((acc, e) => acc + e.amount, 0);
      expect(s.openingBalance + sum).toBe(s.closingBalance);
      expect(s.openingBalance).toBe(replay(history, from).balance);
      expect(s.closingBalance).toBe(replay(history, to).balance);
      expect(s.entryCount).toBe(history.entries.filter((e) => e.micros > from && e.micros <= to).length);
      expect(s.entries).toHaveLength(s.entryCount);
      expect(Object.values(s.totals).reduce((x, y) => x + y, 0)).toBe(sum);
      expect(Object.values(s.totalsByReason).reduce((x, y) => x + y, 0)).toBe(sum);
      expect(s.totals.grant).toBe(s.entries.filter((e) => e.type === 'grant').reduce((x, e) => x + e.amount, 0));

      const csv = await fetch(url(`/v1/customers/${busy}/credit/statement?${q}`), {
        headers: { authorization: `Bearer ${TOKENS.support}`, accept: 'text/csv' },
      });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="statement-/);
      const rows = parseCsv(await csv.text());
      expect(rows[0]).toEqual([
        'row',
        'entry_id',
        'created_at',
        'type',
        'reason',
        'amount',
        'balance_after',
        'currency',
        'note',
        'actor',
        'purchase_id',
        'refund_id',
      ]);
      const body = rows.slice(1);
      expect(body[0]?.[0]).toBe('opening');
      expect(body[body.length - 1]?.[0]).toBe('closing');
      const entryRows = body.filter((r) => r[0] === 'entry');
      expect(entryRows).toHaveLength(s.entryCount);
      expect(Number(body[0]?.[6]) + entryRows.reduce((x, r) => x + Number(r[5]), 0)).toBe(
        Number(body[body.length - 1]?.[6]),
      );
      expect(Number(body[body.length - 1]?.[6])).toBe(s.closingBalance);
      // Free text a spreadsheet would evaluate is neutralised; quotes and commas survive.
      for (const r of entryRows.filter((x) => x[3] === 'grant' && x[4] === 'goodwill'))
        expect(r[8]).toBe('busy, "quoted", =formula');
    }
  }, 120_000);

  it('refuses a `to` in the future, `to` before `from`, and storefront tokens', async () => {
    const future = await http<Problem>(
      'GET',
      url(
        `/v1/customers/${busy}/credit/statement?from=2026-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      ),
      { token: TOKENS.support },
    );
    expect(future.body.code).toBe('instant_in_future');
    // `to` not after `from`: a rule between two fields that the document's schema cannot state,
    // so 422 (a request the document calls valid), with its own code, documented on the operation.
    for (const [from, to] of [
      ['2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z'],
      ['2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z'],
      ['2026-01-01T01:00:00+01:00', '2026-01-01T00:00:00Z'],
    ] as const) {
      const reversed = await http<Problem>(
        'GET',
        url(`/v1/customers/${busy}/credit/statement?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
        { token: TOKENS.support },
      );
      expect(reversed.status, `${from} → ${to}`).toBe(422);
      expect(reversed.body).toMatchObject({ code: 'statement_period_invalid', from, to });
    }
    const document = (await (await fetch(url('/v1/openapi.json'))).json()) as {
      paths: Record<string, { get?: { responses?: Record<string, { description?: string }> } }>;
    };
    expect(
      document.paths['/v1/customers/{customerId}/credit/statement']?.get?.responses?.['422']?.description,
    ).toContain('statement_period_invalid');
    expect(
      (
        await http('GET', url(`/v1/customers/${busy}/credit/statement?from=2026-01-01T00:00:00Z`), {
          token: TOKENS.storefront,
        })
      ).status,
    ).toBe(403);
    const empty = await http<Statement>(
      'GET',
      url('/v1/customers/cus_alan/credit/statement?from=2026-01-01T00:00:00Z'),
      { token: TOKENS.support },
    );
    expect(empty.body).toMatchObject({ openingBalance: 0, closingBalance: 0, entryCount: 0, entries: [] });
  });

  it('a period of more than 10,000 entries is 422 statement_too_large, naming the count and the limit', async () => {
    const customerId = await platform.newCustomer();
    const from = new Date(Date.now() - 1000).toISOString();
    // 10,001 grants appended in one statement (the chain trigger hashes each from the one before).
    await stack.database.db.transaction(async (tx) => {
      await tx.execute(
        sql`insert into credit_accounts (customer_id, currency, balance, version) values (${customerId}, 'USD', 10001, 10001)`,
      );
      await tx.execute(sql`insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, actor, idempotency_key)
                           select 'ent_BULK' || lpad(i::text, 8, '0') || ${customerId}, ${customerId}, i, 'grant', 1, 'USD', i, 'goodwill', 'test', 'bulk:' || ${customerId} || ':' || i
                           from generate_series(1, 10001) as i`);
    });
    const big = await http<Problem & { entryCount: number; limit: number }>(
      'GET',
      url(`/v1/customers/${customerId}/credit/statement?from=${encodeURIComponent(from)}`),
      { token: TOKENS.support },
    );
    expect(big.status).toBe(422);
    expect(big.body).toMatchObject({ code: 'statement_too_large', entryCount: 10_001, limit: 10_000 });
    const balance = await asOf(customerId, new Date().toISOString());
    expect(balance.balance).toBe(10_001);
  });
});

async function exportLines(query: string, stopAfter = Infinity): Promise<ExportedEntry[]> {
  const res = await fetch(url(`/v1/ledger/entries/export?${query}`), {
    headers: { authorization: `Bearer ${TOKENS.admin}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/x-ndjson');
  const out: ExportedEntry[] = [];
  const lines = createInterface({ input: Readable.fromWeb(res.body as never) });
  for await (const line of lines) {
    if (line === '') continue;
    out.push(JSON.parse(line) as ExportedEntry);
    if (out.length >= stopAfter) break;
  }
  lines.close();
  return out;
}

describe('finance export', () => {
  it('streams every entry of the period in (createdAt, id) order; resumes exactly after afterId; finance can recompute the chain from it', async () => {
    const [{ n } = { n: 0 }] = await exec(sql`select count(*)::int as n from ledger_entries`);
    const all = await exportLines('');
    expect(all).toHaveLength(Number(n));
    const keys = all.map((e) => `${e.createdAt} ${e.id}`);
    expect([...keys].sort()).toEqual(keys);

    // Cut after 7 lines (the client went away), resume after the last one received.
    const to = all[all.length - 1]?.createdAt ?? '';
    const head = await exportLines(`to=${encodeURIComponent(to)}`, 7);
    const rest = await exportLines(`to=${encodeURIComponent(to)}&afterId=${head[head.length - 1]?.id ?? ''}`);
    expect([...head, ...rest].map((e) => e.id)).toEqual(all.map((e) => e.id));

    // A period: (from, to] by createdAt.
    const from = all[4]?.createdAt ?? '';
    const period = await exportLines(
      `from=${encodeURIComponent(from)}&to=${encodeURIComponent(all[20]?.createdAt ?? '')}`,
    );
    expect(period.map((e) => e.id)).toEqual(
      all.filter((e) => e.createdAt > from && e.createdAt <= (all[20]?.createdAt ?? '')).map((e) => e.id),
    );

    // Everything the chain hashes is in the export: recompute the busy account's chain from it.
    const mine = all.filter((e) => e.customerId === busy).sort((a, b) => a.accountVersion - b.accountVersion);
    let previous = GENESIS_HASH;
    for (const e of mine) {
      const [date, frac] = e.createdAt.slice(0, -1).split('.');
      const createdAtMicros = BigInt(Date.parse(`${date ?? ''}Z`)) * 1000n + BigInt(frac ?? '0');
      previous = chainHash(previous, { ...e, createdAtMicros });
      expect(previous).toBe(e.hash);
    }
  });

  it('CSV on Accept: text/csv or format=csv, with a header; an unknown afterId is 404; admin only', async () => {
    const res = await fetch(url('/v1/ledger/entries/export?format=csv'), {
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual([
      'id',
      'customerId',
      'accountVersion',
      'type',
      'amount',
      'currency',
      'balanceAfter',
      'reason',
      'note',
      'actor',
      'approvedBy',
      'purchaseId',
      'refundId',
      'workflowId',
      'requestId',
      'idempotencyKey',
      'createdAt',
      'hash',
    ]);
    const [{ n } = { n: 0 }] = await exec(sql`select count(*)::int as n from ledger_entries`);
    expect(rows.length - 1).toBeGreaterThanOrEqual(Number(n));
    const byAccept = await fetch(url('/v1/ledger/entries/export'), {
      headers: { authorization: `Bearer ${TOKENS.admin}`, accept: 'text/csv' },
    });
    expect(byAccept.headers.get('content-type')).toContain('text/csv');
    await byAccept.body?.cancel();

    const unknown = await http<Problem>(
      'GET',
      url('/v1/ledger/entries/export?afterId=ent_01J0000000000000000000000Z'),
      { token: TOKENS.admin },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('entry_not_found');
    expect((await http('GET', url('/v1/ledger/entries/export'), { token: TOKENS.support })).status).toBe(403);
  });
});
