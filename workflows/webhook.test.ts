/**
 * The webhook delivery workflows on the time-skipping test server, with in-memory activities
 * that behave like the database ones (test/e2e/webhook-delivery.int.test.ts runs the real
 * ones): order and the cursor, the wake signal, retries with backoff, a receiver back after
 * hours, the 24 h budget exhausted (the endpoint disabled with the reason, the next event never
 * attempted), an endpoint disabled meanwhile, cancellation, continue-as-new, and the single
 * deliveries (a test event: one attempt; a resend: retried, never disabling).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryOutcome, WebhookActivities, WebhookEventRef } from '../activities/webhook.js';
import { WEBHOOK_DELIVERY_FAILED, WEBHOOK_ENDPOINT_INACTIVE } from '../src/domain/webhook-retry.js';
import { bundleWorkflows, startTimeSkippingEnvironment } from '../test/support/time-skipping.js';
import { until } from '../test/support/wait.js';
import {
  deliveryStatusQuery,
  wakeSignal,
  webhookDeliveryInput,
  webhookEndpointDelivery,
  webhookSingleDelivery,
  webhookWorkflowId,
  type WebhookEndpointDeliveryInput,
} from './webhook.js';

const HOUR = 3_600_000;
const TASK_QUEUE = `webhooks-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
/** The production defaults: 5 s doubling to 1 h, for at least 24 h, 10 s per attempt. */
const SETTINGS = {
  retryBudgetMs: 24 * HOUR,
  retryInitialMs: 5_000,
  retryMaxIntervalMs: HOUR,
  timeoutMs: 10_000,
  pollIntervalMs: 60_000,
};

interface Attempt {
  readonly sequence: number | null;
  readonly eventId: string;
  readonly kind: string;
  readonly attempt: number;
  /** Server (skipped) time of this attempt's schedule, relative to the first attempt's of this event. */
  readonly sinceFirstMs: number;
  /** Server (skipped) time of this attempt's schedule. */
  readonly atMs: number;
}

/** One endpoint as the tables would hold it, and the receiver's behaviour. */
interface Endpoint {
  status: 'enabled' | 'disabled' | 'deleted';
  cursor: number;
  disabledReason: string | null;
  /** Whether an attempt of this event succeeds. */
  accepts: (event: WebhookEventRef, attempt: Attempt) => boolean;
  readonly attempts: Attempt[];
  readonly delivered: string[];
  /** The endpoint reads as disabled once this many events were delivered (ends the workflow). */
  stopAfterDelivered?: number;
}

const endpoints = new Map<string, Endpoint>();
const feed: WebhookEventRef[] = [];

function appendEvents(n: number): WebhookEventRef[] {
  const added: WebhookEventRef[] = [];
  for (let i = 0; i < n; i += 1) {
    const sequence = feed.length + 1;
    const event = { sequence, id: `evt_${String(sequence).padStart(26, '0')}`, type: 'credit.granted' };
    feed.push(event);
    added.push(event);
  }
  return added;
}

const activities: WebhookActivities = {
  nextWebhookEvents(input) {
    const ep = endpoints.get(input.endpointId);
    if (!ep || ep.status === 'deleted') return Promise.resolve({ status: 'deleted', events: [] });
    if (ep.stopAfterDelivered !== undefined && ep.delivered.length >= ep.stopAfterDelivered) ep.status = 'disabled';
    if (ep.status !== 'enabled') return Promise.resolve({ status: ep.status, events: [] });
    return Promise.resolve({
      status: 'enabled',
      events: feed.filter((e) => e.sequence > ep.cursor).slice(0, input.limit),
    });
  },
  deliverWebhook(input) {
    const info = Context.current().info;
    const ep = endpoints.get(input.endpointId);
    if (!ep || (ep.status !== 'enabled' && input.kind !== 'test')) {
      return Promise.reject(
        ApplicationFailure.create({ type: WEBHOOK_ENDPOINT_INACTIVE, message: 'inactive', nonRetryable: true }),
      );
    }
    const event =
      input.kind === 'test'
        ? { sequence: 0, id: input.test?.id ?? '', type: 'webhook.test' }
        : feed.find((e) => (input.sequence ? e.sequence === input.sequence : e.id === input.eventId));
    if (!event) return Promise.reject(ApplicationFailure.nonRetryable('no such event'));
    const attempt: Attempt = {
      sequence: input.sequence ?? null,
      eventId: event.id,
      kind: input.kind,
      attempt: info.attempt,
      sinceFirstMs: info.currentAttemptScheduledTimestampMs - info.scheduledTimestampMs,
      atMs: info.currentAttemptScheduledTimestampMs,
    };
    ep.attempts.push(attempt);
    const ok = ep.accepts(event, attempt);
    const outcome: DeliveryOutcome = {
      deliveryId: `whd_${ep.attempts.length}`,
      eventId: event.id,
      httpStatus: ok ? 200 : 503,
      succeeded: ok,
      durationMs: 1,
    };
    if (ok) {
      ep.delivered.push(event.id);
      if (input.kind === 'event' && input.sequence) ep.cursor = Math.max(ep.cursor, input.sequence);
      return Promise.resolve(outcome);
    }
    if (input.kind === 'test') return Promise.resolve(outcome);
    return Promise.reject(ApplicationFailure.retryable('HTTP 503', WEBHOOK_DELIVERY_FAILED, outcome));
  },
  disableWebhookEndpoint(input) {
    const ep = endpoints.get(input.endpointId);
    const reason = `Event ${input.eventId} was not delivered within the retry budget (${input.budgetMs / HOUR} h, ${ep?.attempts.filter((a) => a.eventId === input.eventId).length ?? 0} attempts); last attempt: HTTP 503.`;
    if (!ep || ep.status !== 'enabled') return Promise.resolve({ disabled: false, reason });
    ep.status = 'disabled';
    ep.disabledReason = reason;
    return Promise.resolve({ disabled: true, reason });
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let counter = 0;

function newEndpoint(accepts: Endpoint['accepts'] = () => true): { id: string; ep: Endpoint } {
  counter += 1;
  const id = `whe_${String(counter).padStart(26, '0')}`;
  const ep: Endpoint = {
    status: 'enabled',
    cursor: feed.length,
    disabledReason: null,
    accepts,
    attempts: [],
    delivered: [],
  };
  endpoints.set(id, ep);
  return { id, ep };
}

/** Workflow ids started by the running test: ended after it, so a failed test leaves nothing polling into the next. */
const started = new Set<string>();

function start(id: string, overrides: Partial<WebhookEndpointDeliveryInput> = {}) {
  started.add(webhookWorkflowId(id));
  return env.client.workflow.start(webhookEndpointDelivery, {
    workflowId: webhookWorkflowId(id),
    taskQueue: TASK_QUEUE,
    args: [{ ...webhookDeliveryInput(SETTINGS, id), ...overrides }],
  });
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [started, bundle] = await Promise.allSettled([startTimeSkippingEnvironment(), bundleWorkflows()]);
  if (started.status === 'fulfilled') env = started.value;
  if (started.status === 'rejected') throw started.reason;
  if (bundle.status === 'rejected') throw bundle.reason;
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle.value,
    activities,
  });
  running = worker.run();
}, 120_000);

afterEach(async () => {
  for (const workflowId of started) {
    try {
      await env.client.workflow.getHandle(workflowId).terminate('test over');
    } catch {
      // Already ended: nothing to stop.
    }
  }
  started.clear();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
}, 60_000);

describe('webhookEndpointDelivery', () => {
  it('delivers the events after the cursor in order, sleeps, and wakes on the signal', async () => {
    appendEvents(2); // before the endpoint: not delivered
    const { id, ep } = newEndpoint();
    const first = appendEvents(5);
    const handle = await start(id);
    await until('5 deliveries', () => Promise.resolve(ep.delivered.length >= 5 ? true : null), 15_000, 50);
    expect(ep.delivered).toEqual(first.map((e) => e.id));
    expect(ep.cursor).toBe(first[4]?.sequence);
    await until(
      'the workflow to be idle',
      async () => ((await handle.query(deliveryStatusQuery)).state === 'idle' ? true : null),
      15_000,
      50,
    );
    const more = appendEvents(3);
    await handle.signal(wakeSignal);
    await until('3 more', () => Promise.resolve(ep.delivered.length >= 8 ? true : null), 15_000, 50);
    expect(ep.delivered).toEqual([...first, ...more].map((e) => e.id));
    // The activity records the delivery before the workflow sees its completion: ask until it has.
    await until(
      'the workflow to count 8',
      async () => ((await handle.query(deliveryStatusQuery)).delivered === 8 ? true : null),
      15_000,
      50,
    );
    expect(await handle.query(deliveryStatusQuery)).toMatchObject({ endpointId: id, delivered: 8 });
    // Disabled: the next look ends the workflow.
    ep.status = 'disabled';
    await handle.signal(wakeSignal);
    expect(await handle.result()).toEqual({ outcome: 'stopped', endpointStatus: 'disabled', delivered: 8 });
  });

  it('continues as new when its history grows, and goes on where it was', async () => {
    const { id, ep } = newEndpoint();
    const events = appendEvents(30);
    // Ends by itself once the 30 are delivered (the endpoint then reads as disabled), so the
    // test awaits the result across the runs instead of polling in wall-clock time.
    ep.stopAfterDelivered = 30;
    const handle = await start(id, { batchSize: 10, maxHistoryLength: 40 });
    const end = await handle.result();
    expect(end).toEqual({ outcome: 'stopped', endpointStatus: 'disabled', delivered: 30 });
    expect(ep.delivered).toEqual(events.map((e) => e.id));
    const described = await env.client.workflow.getHandle(webhookWorkflowId(id)).describe();
    expect(described.runId).not.toBe(handle.firstExecutionRunId);
  }, 60_000);

  it('a receiver down for 3 hours: retried with backoff, then everything delivered in order, nothing disabled', async () => {
    // Down from the first attempt until 3 h later (server time), then up.
    let downSince: number | null = null;
    const { id, ep } = newEndpoint((_event, attempt) => {
      downSince ??= attempt.atMs;
      return attempt.atMs - downSince >= 3 * HOUR;
    });
    const events = appendEvents(3);
    const handle = await start(id);
    // The workflow never ends by itself: skip 4 hours of time explicitly.
    // The workflow ends once the three are delivered (the endpoint then reads as disabled), so
    // awaiting its result lets the server skip the hours of backoff.
    ep.stopAfterDelivered = 3;
    expect(await handle.result()).toEqual({ outcome: 'stopped', endpointStatus: 'disabled', delivered: 3 });
    expect(ep.delivered).toEqual(events.map((e) => e.id));
    const firstEvent = ep.attempts.filter((a) => a.eventId === events[0]?.id);
    // 5 s, 10 s, 20 s … doubling to the 1 h cap: about a dozen attempts in the first 3 h.
    expect(firstEvent.length).toBeGreaterThan(8);
    expect(firstEvent.length).toBeLessThan(16);
    // The time-skipping test server runs the first retry at once (the real server waits the
    // initial interval); from the second retry on: 5 s, 10 s, 20 s … capped at 1 h.
    const gaps = firstEvent.slice(2).map((a, i) => a.sinceFirstMs - (firstEvent[i + 1]?.sinceFirstMs ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(5_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(10_000);
    // Non-decreasing, within the few milliseconds the server's clock adds to each schedule.
    for (let i = 1; i < gaps.length; i += 1) expect(gaps[i]).toBeGreaterThanOrEqual((gaps[i - 1] ?? 0) - 1_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(HOUR + 1_000);
    // Nothing of the later events was attempted while the first one failed.
    const firstSuccess = ep.attempts.findIndex((a) => a.eventId === events[0]?.id && a.sinceFirstMs >= 3 * HOUR);
    expect(ep.attempts.slice(0, firstSuccess).every((a) => a.eventId === events[0]?.id)).toBe(true);
    // The workflow never disabled it (the harness made it read as disabled to end the run).
    expect(ep.disabledReason).toBeNull();
  }, 60_000);

  it('cancelled (an endpoint disabled or deleted through the API): ends cleanly', async () => {
    const { id, ep } = newEndpoint(() => false);
    appendEvents(1);
    const handle = await start(id);
    await until('an attempt', () => Promise.resolve(ep.attempts.length > 0 ? true : null), 15_000, 50);
    await handle.cancel();
    expect(await handle.result()).toEqual({ outcome: 'cancelled', delivered: 0 });
  });

  it('the 24 h budget exhausted: the endpoint is disabled with the reason, the next event never attempted', async () => {
    const { id, ep } = newEndpoint(() => false);
    const [stuck, next] = appendEvents(2);
    const handle = await start(id);
    const end = await handle.result();
    expect(end).toMatchObject({ outcome: 'disabled', eventId: stuck?.id, delivered: 0 });
    expect(ep.status).toBe('disabled');
    expect(ep.disabledReason).toContain(`Event ${stuck?.id ?? ''} was not delivered within the retry budget (24 h`);
    const attempts = ep.attempts.filter((a) => a.eventId === stuck?.id);
    const last = attempts[attempts.length - 1];
    // Retried for at least 24 h (and not much more: at most two maximum intervals past it).
    expect(last?.sinceFirstMs).toBeGreaterThanOrEqual(24 * HOUR);
    expect(last?.sinceFirstMs).toBeLessThanOrEqual(26 * HOUR + 60_000);
    expect(attempts.length).toBeGreaterThan(25);
    expect(ep.attempts.some((a) => a.eventId === next?.id)).toBe(false);
    expect(ep.cursor).toBe((stuck?.sequence ?? 0) - 1);

    // Enabled again: the same event first, then the next; nothing skipped.
    ep.status = 'enabled';
    ep.accepts = () => true;
    const again = await start(id);
    await until('both delivered', () => Promise.resolve(ep.delivered.length >= 2 ? true : null), 15_000, 50);
    expect(ep.delivered).toEqual([stuck?.id, next?.id]);
    // Ended before the next test: an idle workflow left running would poll through every hour
    // the next tests skip.
    await again.cancel();
    expect(await again.result()).toEqual({ outcome: 'cancelled', delivered: 2 });
  }, 60_000);

  it('an endpoint disabled while its event is retried: the next attempt stops the workflow', async () => {
    const { id, ep } = newEndpoint((_e, attempt) => {
      if (attempt.attempt >= 3) ep.status = 'disabled';
      return false;
    });
    appendEvents(1);
    const handle = await start(id);
    expect(await handle.result()).toEqual({ outcome: 'stopped', endpointStatus: 'disabled', delivered: 0 });
    // Attempt 3 failed after the endpoint was disabled; the 4th found it disabled and stopped.
    expect(ep.attempts.length).toBe(3);
    expect(ep.disabledReason).toBeNull();
  });
});

describe('webhookSingleDelivery', () => {
  it('a test event: one attempt, its outcome returned either way', async () => {
    const { id, ep } = newEndpoint(() => false);
    ep.status = 'disabled'; // a test may check a disabled endpoint
    const test = { id: 'evt_TEST0000000000000000000001', createdAt: new Date().toISOString(), requestedBy: 'root' };
    const end = await env.client.workflow.execute(webhookSingleDelivery, {
      workflowId: `webhook-test-${id}`,
      taskQueue: TASK_QUEUE,
      args: [
        { endpointId: id, kind: 'test', test, retry: webhookDeliveryInput(SETTINGS, id).retry, timeoutMs: 10_000 },
      ],
    });
    expect(end).toMatchObject({ outcome: 'failed', delivery: { succeeded: false, httpStatus: 503 } });
    expect(ep.attempts).toHaveLength(1);
  });

  it('a resend whose budget runs out fails without disabling the endpoint', async () => {
    const { id, ep } = newEndpoint(() => false);
    const [event] = appendEvents(1);
    const end = await env.client.workflow.execute(webhookSingleDelivery, {
      workflowId: `webhook-resend-${id}`,
      taskQueue: TASK_QUEUE,
      args: [
        {
          endpointId: id,
          kind: 'resend',
          eventId: event?.id,
          retry: { ...webhookDeliveryInput(SETTINGS, id).retry, budgetMs: 2 * HOUR },
          timeoutMs: 10_000,
        },
      ],
    });
    expect(end.outcome).toBe('failed');
    expect(end.delivery).toMatchObject({ httpStatus: 503 });
    expect(ep.status).toBe('enabled');
    expect(ep.attempts.length).toBeGreaterThan(5);
  }, 60_000);
});
