/**
 * Webhook delivery activities, run by the `webhookEndpointDelivery` and `webhookSingleDelivery`
 * workflows (workflows/webhook.ts):
 *
 * - `nextWebhookEvents` reads the endpoint's state and the next events after its cursor;
 * - `deliverWebhook` signs and POSTs one event (Standard Webhooks headers, `webhook-id` = the
 *   event id, so a redelivery carries the same one), records the attempt in
 *   `webhook_deliveries`, and — for the feed — advances the cursor after a 2xx. Anything else
 *   (a non-2xx, a timeout, a refused connection, a redirect) throws, and Temporal retries the
 *   activity with the workflow's backoff;
 * - `disableWebhookEndpoint` records why an endpoint stopped (its retry budget ran out).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WebhookPayload, WebhookTestEvent } from '../src/contracts/webhooks.js';
import {
  advanceWebhookCursor,
  disableWebhookEndpointIfEnabled,
  findEventById,
  findEventBySequence,
  getWebhookEndpoint,
  insertWebhookDelivery,
  lastWebhookDelivery,
  signingSecrets,
} from '../src/db/webhook-repository.js';
import { listEventsAfter, type EventRecord } from '../src/db/events-repository.js';
import type { EventType, WebhookDeliveryKind } from '../src/db/schema.js';
import {
  WEBHOOK_DELIVERY_FAILED,
  WEBHOOK_ENDPOINT_INACTIVE,
  retryDelayMs,
  type WebhookRetryPolicy,
} from '../src/domain/webhook-retry.js';
import { webhookHeaders } from '../src/domain/webhook-signature.js';
import type { ActivityDeps } from './deps.js';

/** The actor recorded when the delivery workflow disables an endpoint. */
export const SYSTEM_ACTOR = 'system';

export interface NextWebhookEventsInput {
  readonly endpointId: string;
  readonly limit: number;
}

export interface WebhookEventRef {
  readonly sequence: number;
  readonly id: string;
  readonly type: string;
}

export interface NextWebhookEvents {
  readonly status: 'enabled' | 'disabled' | 'deleted';
  readonly events: WebhookEventRef[];
}

export interface TestEventInput {
  readonly id: string;
  readonly createdAt: string;
  readonly requestedBy: string;
}

export interface DeliverWebhookInput {
  readonly endpointId: string;
  readonly kind: WebhookDeliveryKind;
  /** Feed deliveries: the event's sequence (the cursor moves to it after a 2xx). */
  readonly sequence?: number | null;
  /** Resends: the event's id. */
  readonly eventId?: string | null;
  /** Test deliveries: the test event (not stored in the feed). */
  readonly test?: TestEventInput | null;
  readonly retry: WebhookRetryPolicy;
  readonly timeoutMs: number;
}

export interface DeliveryOutcome {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly httpStatus: number | null;
  readonly succeeded: boolean;
  readonly durationMs: number;
}

export interface DisableWebhookEndpointInput {
  readonly endpointId: string;
  readonly eventId: string;
  readonly budgetMs: number;
}

export interface WebhookActivities {
  nextWebhookEvents(input: NextWebhookEventsInput): Promise<NextWebhookEvents>;
  deliverWebhook(input: DeliverWebhookInput): Promise<DeliveryOutcome>;
  disableWebhookEndpoint(input: DisableWebhookEndpointInput): Promise<{ disabled: boolean; reason: string }>;
}

/** The event as GET /v1/events shows it (the same five members, in the same order). */
export function webhookPayload(event: EventRecord): WebhookPayload {
  return {
    id: event.id,
    sequence: event.sequence,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: event.data,
  } as WebhookPayload;
}

function testPayload(endpointId: string, test: TestEventInput): WebhookTestEvent {
  return {
    id: test.id,
    sequence: null,
    type: 'webhook.test',
    createdAt: test.createdAt,
    data: { endpointId, requestedBy: test.requestedBy, message: 'A test event: no change happened.' },
  };
}

function inactive(endpointId: string, status: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: WEBHOOK_ENDPOINT_INACTIVE,
    message: `Webhook endpoint ${endpointId} is ${status}: nothing more is delivered to it.`,
    nonRetryable: true,
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
    return error.message;
  }
  return String(error);
}

interface PostResult {
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'purchase-ledger-webhooks/1', ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not read beyond what it takes to free the connection (bounded by the timeout).
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return {
      httpStatus: res.status,
      error: ok ? null : `HTTP ${res.status}`,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    return { httpStatus: null, error: describeError(error), durationMs: Math.round(performance.now() - started) };
  }
}

export function createWebhookActivities(deps: ActivityDeps): WebhookActivities {
  const db = deps.database.db;
  return {
    async nextWebhookEvents(input: NextWebhookEventsInput): Promise<NextWebhookEvents> {
      const endpoint = await getWebhookEndpoint(db, input.endpointId);
      if (!endpoint) return { status: 'deleted', events: [] };
      if (endpoint.status !== 'enabled') return { status: endpoint.status, events: [] };
      const events = await listEventsAfter(db, {
        after: endpoint.cursor,
        types: endpoint.types as EventType[],
        limit: input.limit,
      });
      return { status: 'enabled', events: events.map((e) => ({ sequence: e.sequence, id: e.id, type: e.type })) };
    },

    async deliverWebhook(input: DeliverWebhookInput): Promise<DeliveryOutcome> {
      const info = Context.current().info;
      const endpoint = await getWebhookEndpoint(db, input.endpointId);
      if (!endpoint) throw inactive(input.endpointId, 'deleted');
      if (endpoint.status !== 'enabled' && input.kind !== 'test') throw inactive(input.endpointId, endpoint.status);

      let payload: WebhookPayload;
      if (input.kind === 'test') {
        if (!input.test) throw ApplicationFailure.nonRetryable('a test delivery needs its test event');
        payload = testPayload(endpoint.id, input.test);
      } else {
        const event =
          input.sequence !== undefined && input.sequence !== null
            ? await findEventBySequence(db, input.sequence)
            : input.eventId
              ? await findEventById(db, input.eventId)
              : null;
        if (!event) throw ApplicationFailure.nonRetryable(`no event ${input.eventId ?? input.sequence ?? ''}`);
        payload = webhookPayload(event);
      }

      const body = JSON.stringify(payload);
      const now = new Date();
      const headers = webhookHeaders(signingSecrets(endpoint, now), payload.id, Math.floor(now.getTime() / 1000), body);
      const result = await post(endpoint.url, body, { ...headers }, input.timeoutMs);
      const succeeded = result.error === null;

      // The next attempt, as the retry policy will schedule it — unless the budget is spent.
      let nextRetryAt: Date | null = null;
      if (!succeeded && input.kind !== 'test') {
        const deadline = info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs;
        const next = Date.now() + retryDelayMs(input.retry, info.attempt);
        if (info.scheduleToCloseTimeoutMs > 0 && next < deadline) nextRetryAt = new Date(next);
      }
      const row = await insertWebhookDelivery(db, {
        endpointId: endpoint.id,
        eventId: payload.id,
        eventType: payload.type,
        eventSequence: payload.sequence,
        kind: input.kind,
        attempt: info.attempt,
        succeeded,
        httpStatus: result.httpStatus,
        error: result.error,
        durationMs: result.durationMs,
        nextRetryAt,
      });
      if (succeeded && input.kind === 'event' && payload.sequence !== null) {
        await advanceWebhookCursor(db, endpoint.id, payload.sequence);
        deps.metrics?.webhookLatency.observe((Date.now() - Date.parse(payload.createdAt)) / 1000);
      }
      deps.metrics?.webhookDeliveries.inc({ outcome: succeeded ? 'succeeded' : 'failed', kind: input.kind });
      const outcome: DeliveryOutcome = {
        deliveryId: row.id,
        eventId: payload.id,
        httpStatus: result.httpStatus,
        succeeded,
        durationMs: result.durationMs,
      };
      if (!succeeded && input.kind !== 'test') {
        throw ApplicationFailure.retryable(
          `delivery of ${payload.id} to ${endpoint.id} failed: ${result.error ?? ''}`,
          WEBHOOK_DELIVERY_FAILED,
          outcome,
        );
      }
      return outcome;
    },

    async disableWebhookEndpoint(input: DisableWebhookEndpointInput): Promise<{ disabled: boolean; reason: string }> {
      const last = await lastWebhookDelivery(db, input.endpointId, input.eventId);
      const hours = Math.round((input.budgetMs / 3_600_000) * 100) / 100;
      const lastError = last ? (last.error ?? `HTTP ${last.httpStatus ?? '?'}`) : 'no attempt recorded';
      const reason = `Event ${input.eventId} was not delivered within the retry budget (${hours} h, ${last?.attempt ?? 0} attempts); last attempt: ${lastError}.`;
      const row = await disableWebhookEndpointIfEnabled(db, input.endpointId, SYSTEM_ACTOR, reason);
      return { disabled: row !== null, reason };
    },
  };
}
