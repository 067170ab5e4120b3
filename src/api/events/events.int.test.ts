/**
 * The events feed on the real stack (Postgres, Temporal dev server and worker, platform-mock):
 * every event type is written with the change it announces and carries the resource exactly as
 * the API's GET returns it; a refused or replayed change writes none; 1,000 money changes from
 * 16 concurrent clients are read back by a concurrent poller exactly once, in order, without a
 * gap; a poller continues across a restart of the API process; bad input is a problem. Every
 * test ends with the ledger invariants (useStack).
 */
import { once } from 'node:events';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type {
  Approval,
  ApprovalDecision,
  ApprovalRequested,
  CreditMovementResponse,
  Event,
  EventList,
  EventType,
  LedgerEntryList,
  Problem,
  Purchase,
  PurchaseAttempt,
  PurchaseWithRefunds,
  ReconciliationRun,
  ReconciliationRunPending,
  Refund,
  RefundList,
} from '../../contracts/index.js';
import { expireApproval, insertApproval } from '../../db/approval-repository.js';
import { newId } from '../../domain/ids.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { startServiceProcess } from '../../../test/support/processes.js';
import { API_TOKENS, TOKENS, type TestStack } from '../../../test/support/stack.js';
import { until } from '../../../test/support/wait.js';
import { useStack } from '../../../test/support/use-stack.js';

const THRESHOLD = 50_000;

/** A problem's members beside a success body's (the HTTP status is the result's, not the body's). */
type Refusal = Partial<Omit<Problem, 'status'>>;
type MoveAnswer = Partial<Omit<ApprovalRequested, 'status'>> & Partial<CreditMovementResponse> & Refusal;
type BuyAnswer = Partial<Omit<Purchase, 'status'>> & Refusal & { attemptId?: string };

let stack: TestStack;
let platform: PlatformControl;
useStack({ env: { APPROVAL_THRESHOLD: String(THRESHOLD), PURCHASE_SYNC_TIMEOUT_MS: '8000' } }, (started, control) => {
  stack = started;
  platform = control;
});

const url = (path: string, base = stack.apiUrl): string => `${base}${path}`;

async function page(after: number | string, extra = '', base = stack.apiUrl): Promise<EventList> {
  const res = await http<EventList>('GET', url(`/v1/events?after=${after}${extra}`, base), { token: TOKENS.support });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Everything after `after`, page by page, checking that each page continues the last one exactly. */
async function readAll(after: number, base = stack.apiUrl): Promise<{ events: Event[]; nextAfter: number }> {
  const events: Event[] = [];
  let cursor = after;
  for (;;) {
    const got = await page(cursor, '&limit=500', base);
    for (const event of got.data) {
      expect(event.sequence).toBe(cursor + 1);
      cursor = event.sequence;
      events.push(event);
    }
    expect(got.nextAfter).toBe(cursor);
    if (got.data.length === 0) return { events, nextAfter: cursor };
  }
}

async function head(): Promise<number> {
  return (await readAll(0)).nextAfter;
}

function ofType<T extends EventType>(events: Event[], type: T): Extract<Event, { type: T }>[] {
  return events.filter((e): e is Extract<Event, { type: T }> => e.type === type);
}

async function move(
  kind: 'grants' | 'deductions',
  customerId: string,
  amount: number,
  options: { key?: string; token?: string } = {},
) {
  return http<MoveAnswer>('POST', url(`/v1/customers/${customerId}/credit/${kind}`), {
    token: options.token ?? TOKENS.support,
    idempotencyKey: options.key ?? newKey(kind),
    body: { amount, currency: 'USD', reason: kind === 'grants' ? 'goodwill' : 'correction', note: 'events test' },
  });
}

async function buy(customerId: string, productId = 'prod_cable') {
  return http<BuyAnswer>('POST', url('/v1/purchases'), {
    token: TOKENS.storefront,
    idempotencyKey: newKey('buy'),
    body: { customerId, productId },
  });
}

async function exec(query: ReturnType<typeof sql>): Promise<Record<string, unknown>[]> {
  const result = await stack.database.db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

describe('events feed: each type, with the resource as the API returns it', () => {
  it('credit.granted and credit.deducted carry the ledger entry; a replay and a refused deduction write none', async () => {
    const start = await head();
    const customerId = await platform.newCustomer();
    const key = newKey('grant');
    const granted = await move('grants', customerId, 4_000, { key });
    expect(granted.status).toBe(201);
    const replay = await move('grants', customerId, 4_000, { key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const deducted = await move('deductions', customerId, 1_500);
    expect(deducted.status).toBe(201);
    const refused = await move('deductions', customerId, 9_000);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('insufficient_credit');

    const { events } = await readAll(start);
    expect(events.map((e) => e.type)).toEqual(['credit.granted', 'credit.deducted']);
    const entries = await http<LedgerEntryList>('GET', url(`/v1/customers/${customerId}/credit/entries`), {
      token: TOKENS.support,
    });
    const [grantEvent, deductEvent] = events;
    expect(grantEvent?.data).toEqual(granted.body.entry);
    expect(deductEvent?.data).toEqual(deducted.body.entry);
    // The same entries as the ledger's own list (JSON objects: member order is not part of the value).
    const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);
    expect(events.map((e) => e.data as { id: string }).sort(byId)).toEqual([...entries.body.data].sort(byId));
    for (const event of events) {
      expect(event.id).toMatch(/^evt_[0-9A-Z]{26}$/);
      expect(Date.parse(event.createdAt)).not.toBeNaN();
    }
  });

  it('purchase.completed carries the purchase as GET returns it; refund.created the refund; a failed purchase (compensated) only purchase.failed', async () => {
    const customerId = await platform.newCustomer();
    expect((await move('grants', customerId, 10_000)).status).toBe(201);
    const start = await head();

    const bought = await buy(customerId);
    expect(bought.status).toBe(201);
    const purchaseId = bought.body.id ?? '';
    const got = await http<PurchaseWithRefunds>('GET', url(`/v1/purchases/${purchaseId}`), {
      token: TOKENS.storefront,
    });
    const afterPurchase = await readAll(start);
    expect(afterPurchase.events.map((e) => e.type)).toEqual(['purchase.completed']);
    expect(afterPurchase.events[0]?.data).toEqual(got.body);

    const refunded = await http<Refund>('POST', url(`/v1/purchases/${purchaseId}/refunds`), {
      token: TOKENS.support,
      idempotencyKey: newKey('refund'),
      body: { amount: 100, reason: 'damaged' },
    });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(201);
    const refunds = await http<RefundList>('GET', url(`/v1/purchases/${purchaseId}/refunds`), {
      token: TOKENS.storefront,
    });
    const afterRefund = await readAll(afterPurchase.nextAfter);
    expect(afterRefund.events.map((e) => e.type)).toEqual(['refund.created']);
    expect(afterRefund.events[0]?.data).toEqual(refunds.body.data[0]);

    // cus_noaddr has no postal code: the platform rejects the shipment after the credit was reserved; the saga compensates.
    const noAddress = 'cus_noaddr';
    expect((await move('grants', noAddress, 10_000)).status).toBe(201);
    const beforeFailure = await head();
    const failed = await buy(noAddress);
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe('shipment_failed');
    const attemptId = failed.body.attemptId ?? '';
    expect(attemptId).toMatch(/^pur_/);
    const attempt = await http<PurchaseAttempt>('GET', url(`/v1/purchase-attempts/${attemptId}`), {
      token: TOKENS.storefront,
    });
    expect(attempt.body.status).toBe('failed');
    const afterFailure = await readAll(beforeFailure);
    expect(afterFailure.events.map((e) => e.type)).toEqual(['purchase.failed']);
    expect(afterFailure.events[0]?.data).toEqual(attempt.body);
    const holds = await exec(sql`select status, resolution from credit_holds where purchase_id = ${attemptId}`);
    expect(holds).toEqual([{ status: 'released', resolution: 'shipment_rejected' }]);
    // No purchase.completed for the failed attempt, anywhere in the feed.
    const everything = await readAll(0);
    expect(ofType(everything.events, 'purchase.completed').filter((e) => e.data.id === attemptId)).toEqual([]);
  });

  it('approval.requested, then approval.decided with the posted entry (credit.granted) once approved; a rejection is approval.decided alone', async () => {
    const customerId = await platform.newCustomer();
    const start = await head();
    const requested = await move('grants', customerId, THRESHOLD + 1);
    expect(requested.status).toBe(202);
    const approvalId = requested.body.approvalId ?? '';
    const pending = await http<Approval>('GET', url(`/v1/approvals/${approvalId}`), { token: TOKENS.support });
    const afterRequest = await readAll(start);
    expect(afterRequest.events.map((e) => e.type)).toEqual(['approval.requested']);
    expect(afterRequest.events[0]?.data).toEqual(pending.body);

    const approved = await http<ApprovalDecision>('POST', url(`/v1/approvals/${approvalId}/approve`), {
      token: TOKENS.admin,
      body: { note: 'ok' },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(201);
    const decided = await http<Approval>('GET', url(`/v1/approvals/${approvalId}`), { token: TOKENS.support });
    const afterDecision = await readAll(afterRequest.nextAfter);
    expect(afterDecision.events.map((e) => e.type)).toEqual(['credit.granted', 'approval.decided']);
    expect(afterDecision.events[0]?.data).toEqual(approved.body.entry);
    expect(afterDecision.events[1]?.data).toEqual(decided.body);
    expect(decided.body.status).toBe('approved');

    const second = await move('deductions', customerId, THRESHOLD);
    expect(second.status).toBe(202);
    const rejected = await http<Approval>('POST', url(`/v1/approvals/${second.body.approvalId ?? ''}/reject`), {
      token: TOKENS.admin,
      body: { note: 'no' },
    });
    expect(rejected.status).toBe(200);
    const afterReject = await readAll(afterDecision.nextAfter);
    expect(afterReject.events.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided']);
    expect(afterReject.events[1]?.data).toEqual(rejected.body);
  });

  it('an approval that expires: approval.decided with status expired, as GET returns it', async () => {
    const customerId = await platform.newCustomer();
    const approvalId = newId('apr');
    const start = await head();
    // Recorded and expired as the creditApproval workflow's activities do (its timer is days long here).
    await stack.database.db.transaction((tx) =>
      insertApproval(tx, {
        id: approvalId,
        customerId,
        kind: 'grant',
        amount: THRESHOLD,
        currency: 'USD',
        reason: 'goodwill',
        note: null,
        requestedBy: 'alice',
        workflowId: `approval-${approvalId}`,
        idempotencyScope: 'test',
        idempotencyKey: newKey('expire'),
        requestId: null,
        expiresAt: new Date(Date.now() - 1000),
      }),
    );
    await stack.database.db.transaction((tx) => expireApproval(tx, approvalId));
    await stack.database.db.transaction((tx) => expireApproval(tx, approvalId)); // a retried activity: no second event
    const expired = await http<Approval>('GET', url(`/v1/approvals/${approvalId}`), { token: TOKENS.support });
    expect(expired.body.status).toBe('expired');
    const { events } = await readAll(start);
    expect(events.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided']);
    expect(events[1]?.data).toEqual(expired.body);
  });

  it('reconciliation.finding carries the finding as the run shows it', async () => {
    const customerId = await platform.newCustomer();
    expect((await move('grants', customerId, 1_000)).status).toBe(201);
    const purchaseId = `pur_PLANTED${Date.now()}`;
    // A free purchase needs no hold and no entry, so its missing shipment is the only thing wrong.
    await exec(sql`insert into purchases (id, customer_id, product_id, product_name, quantity, unit_price, subtotal, discount, total, currency,
                                          shipment_id, shipment_status, shipping_address, workflow_id, actor)
                   values (${purchaseId}, ${customerId}, 'prod_cable', 'USB-C Cable', 1, 0, 0, 0, 0, 'USD',
                           ${`shp_missing_${Date.now()}`}, 'created', '{"line1":"1 Main Street","city":"Springfield","postalCode":"12345","country":"US"}'::jsonb,
                           ${`purchase-${purchaseId}`}, 'test')`);
    const start = await head();
    try {
      const res = await http<ReconciliationRun | ReconciliationRunPending>('POST', url('/v1/reconciliation/runs'), {
        token: TOKENS.admin,
      });
      const run = await until(
        'the run to finish',
        async () => {
          const got = await http<ReconciliationRun>('GET', url(`/v1/reconciliation/runs/${res.body.id}`), {
            token: TOKENS.admin,
          });
          return got.body.status === 'running' ? null : got.body;
        },
        60_000,
      );
      expect(run.status).toBe('completed');
      const findings = ofType((await readAll(start)).events, 'reconciliation.finding').map((e) => e.data);
      expect(findings).toEqual(run.findings);
      expect(findings).toContainEqual(
        expect.objectContaining({ kind: 'shipment_missing', entity: `purchase:${purchaseId}` }),
      );
    } finally {
      await exec(sql.raw('ALTER TABLE purchases DISABLE TRIGGER USER'));
      try {
        await exec(sql`delete from purchases where id = ${purchaseId}`);
      } finally {
        await exec(sql.raw('ALTER TABLE purchases ENABLE TRIGGER USER'));
      }
    }
  });
});

describe('events feed: order and completeness', () => {
  it('1,000 money changes from 16 concurrent clients produce 1,000 events; a concurrent poller from the start reads exactly those, in order, without a gap or a duplicate', async () => {
    const clients = 16;
    const total = 1_000;
    const customers = await Promise.all(Array.from({ length: clients }, () => platform.newCustomer()));
    const start = await head();
    const entryIds = new Set<string>();
    let next = 0;
    const client = async (c: number): Promise<void> => {
      const customerId = customers[c] ?? '';
      for (let i = 0; ; i += 1) {
        const n = next;
        next += 1;
        if (n >= total) return;
        // Grants, and a deduction every third change once there is credit to take.
        const res = await move(i % 3 === 2 ? 'deductions' : 'grants', customerId, i % 3 === 2 ? 5 : 10);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        entryIds.add(res.body.entry?.id ?? '');
      }
    };
    let writing = true;
    const polled: Event[] = [];
    let polls = 0;
    const poller = (async (): Promise<void> => {
      let after = start;
      while (writing || polled.length < total) {
        const got = await page(after, '&limit=50');
        polls += 1;
        for (const event of got.data) {
          expect(event.sequence).toBe(after + 1);
          after = event.sequence;
          polled.push(event);
        }
        expect(got.nextAfter).toBe(after);
        if (got.data.length === 0) {
          if (!writing) break;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    })();
    const started = Date.now();
    try {
      await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    } finally {
      writing = false;
    }
    await poller;
    const elapsed = Date.now() - started;
    expect(entryIds.size).toBe(total);
    expect(polled).toHaveLength(total);
    expect(new Set(polled.map((e) => e.id)).size).toBe(total);
    expect(new Set(polled.map((e) => (e.data as { id: string }).id))).toEqual(entryIds);
    expect(polled.map((e) => e.sequence)).toEqual(Array.from({ length: total }, (_, i) => start + i + 1));
    const { events } = await readAll(start);
    expect(events).toEqual(polled);
    expect(polls).toBeGreaterThan(total / 50);
    console.log(`1,000 money changes from ${clients} clients in ${elapsed} ms, polled in ${polls} pages`);
  });

  it('a poller continues from nextAfter across a restart (SIGKILL) of the API process, and misses nothing written meanwhile', async () => {
    const customerId = await platform.newCustomer();
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: stack.config.databaseUrl ?? '',
      DATABASE_POOL_MAX: '4',
      TEMPORAL_ADDRESS: stack.config.temporal.address ?? '',
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      PLATFORM_API_URL: stack.platformUrl,
      API_TOKENS,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_MS: '0',
      APPROVAL_THRESHOLD: String(THRESHOLD),
    };
    const base = `http://127.0.0.1:${port}`;
    const ready = async (api: ReturnType<typeof startServiceProcess>): Promise<void> => {
      await until(
        'the API process to be ready',
        async () => ((await fetch(`${base}/v1/ready`, { signal: AbortSignal.timeout(2000) })).ok ? true : null),
        60_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${api.output()}`);
      });
    };
    const start = await head();
    let api = startServiceProcess('api', env);
    try {
      await ready(api);
      for (let i = 0; i < 5; i += 1) expect((await move('grants', customerId, 100)).status).toBe(201);
      const first = await readAll(start, base);
      expect(first.events).toHaveLength(5);
      await api.kill('SIGKILL');
      // Written while the API that the poller reads is down.
      for (let i = 0; i < 5; i += 1) expect((await move('grants', customerId, 100)).status).toBe(201);
      api = startServiceProcess('api', env);
      await ready(api);
      const second = await readAll(first.nextAfter, base);
      expect(second.events).toHaveLength(5);
      const all = [...first.events, ...second.events];
      expect(all.map((e) => e.sequence)).toEqual(Array.from({ length: 10 }, (_, i) => start + i + 1));
      expect(all).toEqual((await readAll(start)).events);
    } finally {
      await api.kill('SIGKILL');
    }
  });

  it('the type filter (repeated or comma-separated) keeps the numbering; an empty page keeps `after`', async () => {
    const customerId = await platform.newCustomer();
    const start = await head();
    expect((await move('grants', customerId, 300)).status).toBe(201);
    expect((await move('deductions', customerId, 100)).status).toBe(201);
    expect((await move('grants', customerId, 300)).status).toBe(201);
    const grants = await page(start, '&type=credit.granted');
    expect(grants.data.map((e) => e.sequence)).toEqual([start + 1, start + 3]);
    expect(grants.nextAfter).toBe(start + 3);
    const both = await page(start, '&type=credit.granted&type=refund.created,credit.deducted');
    expect(both.data.map((e) => e.sequence)).toEqual([start + 1, start + 2, start + 3]);
    const limited = await page(start, '&limit=1');
    expect(limited.data.map((e) => e.sequence)).toEqual([start + 1]);
    expect(limited.nextAfter).toBe(start + 1);
    const empty = await page(start + 3);
    expect(empty).toEqual({ data: [], nextAfter: start + 3 });
    const defaults = await page(0);
    expect(defaults.data.length).toBe(Math.min(100, start + 3));
  });
});

describe('events feed: bad input and roles', () => {
  it.each([
    ['after=-1', 'after'],
    ['after=abc', 'after'],
    ['after=1.5', 'after'],
    ['after=01', 'after'],
    ['after=1e3', 'after'],
    ['after=99999999999999999999', 'after'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['type=purchase.created', 'type'],
    ['type=purchase.completed,nope', 'type'],
    ['type=', 'type'],
  ])('%s → 400 validation_failed naming %s', async (query, field) => {
    const res = await http<Problem & { errors: { path: string }[] }>('GET', url(`/v1/events?${query}`), {
      token: TOKENS.support,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(JSON.stringify(res.body.errors)).toContain(field);
  });

  it('support and admin read every type; storefront the customer-facing ones (403 for others); no token 401', async () => {
    expect((await http('GET', url('/v1/events'), { token: TOKENS.admin })).status).toBe(200);
    const customerFacing = 'purchase.completed,purchase.failed,refund.created,credit.granted,credit.deducted';
    const asSupport = await http<EventList>('GET', url(`/v1/events?after=0&limit=500&type=${customerFacing}`), {
      token: TOKENS.support,
    });
    const asStorefront = await http<EventList>('GET', url('/v1/events?after=0&limit=500'), {
      token: TOKENS.storefront,
    });
    expect(asSupport.status).toBe(200);
    expect(asStorefront.status).toBe(200);
    expect(asStorefront.body.data.length).toBeGreaterThan(0);
    expect(asStorefront.body).toEqual(asSupport.body);
    const all = await http<EventList>('GET', url('/v1/events?after=0&limit=500'), { token: TOKENS.support });
    expect(all.body.data.some((e) => e.type.startsWith('approval.'))).toBe(true);
    const internal = await http<Problem>('GET', url('/v1/events?type=credit.granted,approval.requested'), {
      token: TOKENS.storefront,
    });
    expect(internal.status).toBe(403);
    expect(internal.body.code).toBe('forbidden');
    expect(internal.body.detail).toContain('approval.requested');
    const anonymous = await http<Problem>('GET', url('/v1/events'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthenticated');
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
