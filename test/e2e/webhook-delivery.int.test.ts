/**
 * Webhook delivery end to end on the real stack (Postgres, the Temporal dev server, a worker
 * with its dispatcher) to platform-mock's receiver, which verifies every signature with the
 * `standardwebhooks` library: an event delivered and verified; many events in sequence order;
 * a receiver down for a while, then up (short backoffs); a receiver that hangs; a wrong secret
 * refused; a rotation with both signatures valid; a test event; a resend; disabling and
 * enabling without losing an event.
 */
import { describe, expect, it } from 'vitest';
import type {
  CreditMovementResponse,
  EventList,
  LedgerEntryList,
  Purchase,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookResendAccepted,
  WebhookSecretRotated,
  WebhookTestResult,
} from '../../src/contracts/index.js';
import type { EventRecord } from '../../src/db/events-repository.js';
import { appendTestEvent } from '../support/events.js';
import { http, newKey } from '../support/http.js';
import type { PlatformControl } from '../support/platform.js';
import { TOKENS, type TestStack } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';
import { until } from '../support/wait.js';
import { WebhookReceiver, type Received } from '../support/webhook-receiver.js';

let stack: TestStack;
let platform: PlatformControl;
useStack(
  {
    env: {
      // Short backoffs: 200 ms doubling to 1 s; a 1.5 s attempt timeout; idle workflows look every 3 s.
      WEBHOOK_RETRY_INITIAL_MS: '200',
      WEBHOOK_RETRY_MAX_INTERVAL_MS: '1000',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_POLL_INTERVAL_MS: '3000',
    },
  },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

const api = (path: string): string => `${stack.apiUrl}${path}`;

async function endpointFor(
  receiver: WebhookReceiver,
  types: string[] = ['credit.granted'],
): Promise<WebhookEndpointCreated> {
  const res = await http<WebhookEndpointCreated>('POST', api('/v1/webhook-endpoints'), {
    token: TOKENS.admin,
    body: { url: receiver.url, types },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function deliveries(endpointId: string, query = 'limit=100'): Promise<WebhookDelivery[]> {
  const res = await http<WebhookDeliveryList>('GET', api(`/v1/webhook-endpoints/${endpointId}/deliveries?${query}`), {
    token: TOKENS.admin,
  });
  expect(res.status).toBe(200);
  return res.body.data;
}

async function endpoint(id: string): Promise<WebhookEndpoint> {
  return (await http<WebhookEndpoint>('GET', api(`/v1/webhook-endpoints/${id}`), { token: TOKENS.admin })).body;
}

/** Waits until the receiver accepted every one of `events` (by webhook-id). */
async function acceptedAll(receiver: WebhookReceiver, events: EventRecord[], timeoutMs = 30_000): Promise<Received[]> {
  const wanted = new Set(events.map((e) => e.id));
  return until(
    `${events.length} events at ${receiver.name}`,
    async () => {
      const got = await receiver.accepted();
      const ids = new Set(got.map((r) => r.webhookId));
      return [...wanted].every((id) => ids.has(id)) ? got : null;
    },
    timeoutMs,
    100,
  );
}

/**
 * At-least-once in order: the first acceptance of each event follows the sequence, every event
 * is there, and every extra copy repeats an event already accepted (same webhook-id and body).
 */
function expectInOrderAtLeastOnce(accepted: Received[], events: EventRecord[]): void {
  const firsts: string[] = [];
  const bodies = new Map<string, string>();
  for (const r of accepted) {
    const id = r.webhookId ?? '';
    const body = JSON.stringify(r.body);
    if (bodies.has(id)) {
      expect(bodies.get(id), `a redelivery of ${id} carries the same body`).toBe(body);
    } else {
      bodies.set(id, body);
      firsts.push(id);
    }
  }
  expect(firsts).toEqual(events.map((e) => e.id));
}

describe('webhook delivery', () => {
  it('money through the API: grant, purchase, deduction reach the receiver as GET /v1/events shows them', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver, ['credit.granted', 'credit.deducted', 'purchase.completed']);
    await receiver.configure({ secrets: [ep.secret] });
    const customerId = await platform.newCustomer();
    const granted = await http<CreditMovementResponse>('POST', api(`/v1/customers/${customerId}/credit/grants`), {
      token: TOKENS.support,
      idempotencyKey: newKey('wh'),
      body: { amount: 10_000, currency: 'USD', reason: 'goodwill' },
    });
    expect(granted.status).toBe(201);
    const bought = await http<Purchase>('POST', api('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: newKey('wh'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(bought.status).toBe(201);
    const deducted = await http<CreditMovementResponse>('POST', api(`/v1/customers/${customerId}/credit/deductions`), {
      token: TOKENS.support,
      idempotencyKey: newKey('wh'),
      body: { amount: 500, currency: 'USD', reason: 'correction', note: 'webhook test' },
    });
    expect(deducted.status, JSON.stringify(deducted.body)).toBe(201);

    const feed = await http<EventList>('GET', api(`/v1/events?after=${ep.lastDeliveredSequence}&limit=500`), {
      token: TOKENS.support,
    });
    const mine = feed.body.data.filter(
      (e) =>
        (e.type === 'purchase.completed' && e.data.id === bought.body.id) ||
        ((e.type === 'credit.granted' || e.type === 'credit.deducted') && e.data.customerId === customerId),
    );
    expect(mine.map((e) => e.type)).toEqual(['credit.granted', 'purchase.completed', 'credit.deducted']);
    const accepted = await until(
      'the three events',
      async () => {
        const got = (await receiver.accepted()).filter((r) => mine.some((e) => e.id === r.webhookId));
        return got.length >= 3 ? got : null;
      },
      30_000,
    );
    // Each body is the event exactly as the feed shows it; its data is the API's resource.
    for (const event of mine) expect(accepted.find((r) => r.webhookId === event.id)?.body).toEqual(event);
    expect(accepted.find((r) => r.webhookId === mine[0]?.id)?.body?.data).toEqual(granted.body.entry);
    expect(accepted.find((r) => r.webhookId === mine[2]?.id)?.body?.data).toEqual(deducted.body.entry);
    const entries = await http<LedgerEntryList>('GET', api(`/v1/customers/${customerId}/credit/entries`), {
      token: TOKENS.support,
    });
    expect(entries.body.data.map((e) => e.id)).toContain((mine[0]?.data as { id: string }).id);
    const purchase = await http<Purchase>('GET', api(`/v1/purchases/${bought.body.id}`), { token: TOKENS.storefront });
    expect(accepted.find((r) => r.webhookId === mine[1]?.id)?.body?.data).toMatchObject(purchase.body);
    // Delivered in sequence order; all verified by the library.
    const order = accepted.filter((r, i, all) => all.findIndex((x) => x.webhookId === r.webhookId) === i);
    expect(order.map((r) => r.webhookId)).toEqual(mine.map((e) => e.id));
    expect(accepted.every((r) => r.verified)).toBe(true);
  });

  it('delivers an event, signed so that the standardwebhooks library verifies it', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    await receiver.configure({ secrets: [ep.secret] });
    const event = await appendTestEvent(stack, 'credit.granted', { id: 'ent_x', amount: 1200, currency: 'USD' });
    const [got] = await acceptedAll(receiver, [event]);
    expect(got).toMatchObject({ webhookId: event.id, verified: true, verifiedWith: [0], answered: 200 });
    expect(got?.webhookSignature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(Number(got?.webhookTimestamp) * 1000 - Date.now())).toBeLessThan(60_000);
    expect(got?.body).toEqual({
      id: event.id,
      sequence: event.sequence,
      type: 'credit.granted',
      createdAt: event.createdAt.toISOString(),
      data: { id: 'ent_x', amount: 1200, currency: 'USD' },
    });
    const log = await until(
      'the attempt in the log',
      async () => {
        const d = await deliveries(ep.id);
        return d.length > 0 ? d : null;
      },
      10_000,
    );
    expect(log[0]).toMatchObject({
      eventId: event.id,
      eventType: 'credit.granted',
      eventSequence: event.sequence,
      kind: 'event',
      attempt: 1,
      succeeded: true,
      httpStatus: 200,
      error: null,
      nextRetryAt: null,
    });
    expect(log[0]?.durationMs).toBeGreaterThanOrEqual(0);
    await until(
      'the cursor to move',
      async () => ((await endpoint(ep.id)).lastDeliveredSequence >= event.sequence ? true : null),
      10_000,
    );
  });

  it('delivers only the subscribed types', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver, ['refund.created']);
    await receiver.configure({ secrets: [ep.secret] });
    const skipped = await appendTestEvent(stack, 'credit.granted');
    const wanted = await appendTestEvent(stack, 'refund.created', { id: 'ref_1' });
    await acceptedAll(receiver, [wanted]);
    expect((await receiver.received()).map((r) => r.webhookId)).not.toContain(skipped.id);
  });

  it('delivers 60 events in sequence order', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver, ['credit.granted', 'credit.deducted']);
    await receiver.configure({ secrets: [ep.secret] });
    const events: EventRecord[] = [];
    // Written concurrently, in 6 waves of 10: the sequence decides the order, not the writers.
    for (let wave = 0; wave < 6; wave += 1) {
      events.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            appendTestEvent(stack, i % 2 ? 'credit.deducted' : 'credit.granted', { wave, i }),
          ),
        )),
      );
    }
    events.sort((a, b) => a.sequence - b.sequence);
    const accepted = await acceptedAll(receiver, events, 60_000);
    expectInOrderAtLeastOnce(accepted, events);
    expect(accepted.every((r) => r.verified)).toBe(true);
  });

  it('a receiver down for a while, then up: every event delivered once accepted, in order, none lost', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    await receiver.configure({ secrets: [ep.secret], mode: 'fail', status: 503 });
    const events: EventRecord[] = [];
    for (let i = 0; i < 8; i += 1) events.push(await appendTestEvent(stack, 'credit.granted', { i }));
    // Down: the first event is retried (with backoff) and the others wait behind it.
    await until('several failed attempts', async () => ((await receiver.received()).length >= 4 ? true : null), 20_000);
    const whileDown = await receiver.received();
    expect(new Set(whileDown.map((r) => r.webhookId))).toEqual(new Set([events[0]?.id]));
    expect(whileDown.every((r) => r.answered === 503 && r.verified)).toBe(true);
    const failed = (await deliveries(ep.id)).filter((d) => !d.succeeded);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed[0]).toMatchObject({ eventId: events[0]?.id, httpStatus: 503, error: 'HTTP 503' });
    expect(failed.every((d) => d.nextRetryAt !== null && Date.parse(d.nextRetryAt) > Date.parse(d.createdAt))).toBe(
      true,
    );
    // The attempts are numbered and backed off: 200 ms, 400 ms, 800 ms, then 1 s.
    const attempts = failed.map((d) => d.attempt).sort((a, b) => a - b);
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);

    events.push(await appendTestEvent(stack, 'credit.granted', { late: true }));
    await receiver.configure({ secrets: [ep.secret], mode: 'ok' });
    const accepted = await acceptedAll(receiver, events, 30_000);
    expectInOrderAtLeastOnce(accepted, events);
    const log = await deliveries(ep.id);
    expect(
      log
        .filter((d) => d.succeeded)
        .map((d) => d.eventId)
        .reverse(),
    ).toEqual(events.map((e) => e.id));
  });

  it('a receiver that hangs: the attempt times out (10 s rule, 1.5 s here) and the event is retried', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    await receiver.configure({ secrets: [ep.secret], mode: 'hang', times: 1 });
    const event = await appendTestEvent(stack);
    const accepted = await acceptedAll(receiver, [event]);
    expect(accepted).toHaveLength(1);
    expect((await receiver.received()).map((r) => r.webhookId)).toEqual([event.id, event.id]);
    const log = await deliveries(ep.id);
    const timedOut = log.find((d) => !d.succeeded);
    expect(timedOut).toMatchObject({ attempt: 1, httpStatus: null, error: 'timed out' });
    expect(timedOut?.durationMs).toBeGreaterThanOrEqual(1400);
    expect(log.find((d) => d.succeeded)).toMatchObject({ attempt: 2, httpStatus: 200 });
  });

  it('a receiver with another secret refuses the delivery; with the right one it accepts', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    const other = await endpointFor(new WebhookReceiver(stack.platformUrl));
    await receiver.configure({ secrets: [other.secret] });
    const event = await appendTestEvent(stack);
    await until('a refused delivery', async () => ((await receiver.received()).length > 0 ? true : null), 15_000);
    const [refused] = await receiver.received();
    expect(refused).toMatchObject({ webhookId: event.id, verified: false, verifiedWith: [], answered: 401 });
    expect(refused?.verifyError).toMatch(/signature/i);
    expect((await deliveries(ep.id))[0]).toMatchObject({ succeeded: false, httpStatus: 401 });

    await receiver.configure({ secrets: [ep.secret] });
    await acceptedAll(receiver, [event]);
  });

  it('rotation: during the overlap the old and the new secret both verify, each on its own', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    const rotated = await http<WebhookSecretRotated>('POST', api(`/v1/webhook-endpoints/${ep.id}/secret/rotate`), {
      token: TOKENS.admin,
    });
    expect(rotated.status).toBe(200);
    // Index 0: the old secret, 1: the new one. Each is checked alone by the library.
    await receiver.configure({ secrets: [ep.secret, rotated.body.secret] });
    const event = await appendTestEvent(stack);
    const [got] = await acceptedAll(receiver, [event]);
    expect(got?.verifiedWith).toEqual([0, 1]);
    expect(got?.webhookSignature?.split(' ')).toHaveLength(2);
    for (const sig of got?.webhookSignature?.split(' ') ?? []) expect(sig).toMatch(/^v1,/);
  });

  it('sends a test event to one endpoint, outside the feed, and reports the attempt', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    const bystander = new WebhookReceiver(stack.platformUrl);
    const other = await endpointFor(bystander);
    await receiver.configure({ secrets: [ep.secret] });
    await bystander.configure({ secrets: [other.secret] });
    const res = await http<WebhookTestResult>('POST', api(`/v1/webhook-endpoints/${ep.id}/test`), {
      token: TOKENS.admin,
    });
    expect(res.status).toBe(200);
    expect(res.body.eventId).toMatch(/^evt_/);
    expect(res.body.delivery).toMatchObject({
      eventId: res.body.eventId,
      eventType: 'webhook.test',
      eventSequence: null,
      kind: 'test',
      attempt: 1,
      succeeded: true,
      httpStatus: 200,
    });
    const [got] = await receiver.received();
    expect(got).toMatchObject({ webhookId: res.body.eventId, verified: true });
    expect(got?.body).toMatchObject({ id: res.body.eventId, type: 'webhook.test', sequence: null });
    // Not part of the feed: no other endpoint gets it, the cursor does not move.
    expect(await bystander.received()).toEqual([]);
    expect((await endpoint(ep.id)).lastDeliveredSequence).toBe(ep.lastDeliveredSequence);

    await receiver.configure({ secrets: [ep.secret], mode: 'fail', status: 500 });
    const failing = await http<WebhookTestResult>('POST', api(`/v1/webhook-endpoints/${ep.id}/test`), {
      token: TOKENS.admin,
    });
    expect(failing.status).toBe(200);
    expect(failing.body.delivery).toMatchObject({
      succeeded: false,
      httpStatus: 500,
      error: 'HTTP 500',
      nextRetryAt: null,
    });
    // One attempt only.
    expect((await receiver.received()).filter((r) => r.webhookId === failing.body.eventId)).toHaveLength(1);
  });

  it('resends an event with the same webhook-id', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    await receiver.configure({ secrets: [ep.secret] });
    const event = await appendTestEvent(stack, 'credit.granted', { n: 1 });
    const [first] = await acceptedAll(receiver, [event]);
    const res = await http<WebhookResendAccepted>('POST', api(`/v1/webhook-endpoints/${ep.id}/resend`), {
      token: TOKENS.admin,
      body: { eventId: event.id },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ endpointId: ep.id, eventId: event.id });
    expect(res.body.workflowId).toMatch(new RegExp(`^webhook-resend-${ep.id}-`));
    const both = await until(
      'the resend',
      async () => {
        const got = await receiver.accepted();
        return got.length >= 2 ? got : null;
      },
      15_000,
    );
    expect(both.map((r) => r.webhookId)).toEqual([event.id, event.id]);
    expect(both[1]?.body).toEqual(first?.body);
    const log = await deliveries(ep.id, `eventId=${event.id}`);
    expect(log.map((d) => d.kind).sort()).toEqual(['event', 'resend']);
  });

  it('disabled: nothing is delivered; enabled again: delivery resumes where it stopped', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const ep = await endpointFor(receiver);
    await receiver.configure({ secrets: [ep.secret] });
    const path = api(`/v1/webhook-endpoints/${ep.id}`);
    const first = await appendTestEvent(stack);
    await acceptedAll(receiver, [first]);
    const off = await http<WebhookEndpoint>('PATCH', path, {
      token: TOKENS.admin,
      body: { status: 'disabled', reason: 'maintenance' },
    });
    expect(off.body.disabled).toMatchObject({ by: 'root', reason: 'maintenance' });
    const held = [await appendTestEvent(stack), await appendTestEvent(stack)];
    await until(
      'the delivery workflow to stop',
      async () => {
        const d = await stack.temporal.workflow.getHandle(ep.workflowId).describe();
        return d.status.name === 'RUNNING' ? null : d.status.name;
      },
      15_000,
    );
    expect((await receiver.received()).map((r) => r.webhookId)).toEqual([first.id]);

    const on = await http<WebhookEndpoint>('PATCH', path, { token: TOKENS.admin, body: { status: 'enabled' } });
    expect(on.body.status).toBe('enabled');
    const accepted = await acceptedAll(receiver, [first, ...held]);
    expectInOrderAtLeastOnce(accepted, [first, ...held]);
  });
});
