/**
 * Webhook delivery, one long-running workflow per endpoint (`webhook-endpoint-<id>`):
 *
 * 1. `nextWebhookEvents` reads the endpoint (stop unless enabled) and the next events after its
 *    cursor that match its types, oldest first.
 * 2. Each event is delivered by `deliverWebhook`, one at a time: the activity POSTs it (a 2xx
 *    within WEBHOOK_TIMEOUT_MS is a success), records the attempt, and moves the cursor only
 *    after a 2xx. A failed attempt is retried by Temporal with exponential backoff (5 s doubling
 *    to 1 h) for at least WEBHOOK_RETRY_BUDGET_MS (24 h); the next event waits — per-endpoint
 *    order, nothing skipped. A worker that dies mid-attempt loses nothing: the attempt times out
 *    and is retried (the event may then arrive twice, with the same `webhook-id`).
 * 3. When an event's budget is spent, `disableWebhookEndpoint` disables the endpoint with the
 *    reason (the event, the attempts, the last error) and the workflow ends. Re-enabling resumes
 *    from the cursor: that same event first.
 * 4. Idle, it waits on a durable timer for the `wake` signal (sent by the worker's dispatcher
 *    when events commit, and by the API) or WEBHOOK_POLL_INTERVAL_MS, whichever comes first.
 * 5. It continues as new when the history grows long; a cancel (disable, delete) ends it.
 *
 * `webhookSingleDelivery` sends one event outside the feed's order: a resend, or a test event.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DeliveryOutcome, TestEventInput } from '../activities/webhook.js';
import { WEBHOOK_ENDPOINT_INACTIVE, retryDeadlineMs, type WebhookRetryPolicy } from '../src/domain/webhook-retry.js';
import { applicationFailureOf, describe } from './failures.js';

export interface WebhookEndpointDeliveryInput {
  readonly endpointId: string;
  readonly retry: WebhookRetryPolicy;
  /** One attempt's HTTP timeout (a 2xx within it is a success). */
  readonly timeoutMs: number;
  /** How long an idle workflow waits for a wake-up before it looks anyway. */
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  /** Deliveries of earlier runs (carried across continue-as-new, for the status query). */
  readonly deliveredBefore?: number;
  /** History length after which the workflow continues as new (default 1,000 events: each wake-up signal adds to it, and a short history replays fast). */
  readonly maxHistoryLength?: number;
}

export type WebhookEndpointDeliveryEnd =
  | { readonly outcome: 'stopped'; readonly endpointStatus: 'disabled' | 'deleted'; readonly delivered: number }
  | { readonly outcome: 'cancelled'; readonly delivered: number }
  | { readonly outcome: 'disabled'; readonly reason: string; readonly eventId: string; readonly delivered: number };

export interface WebhookDeliveryStatus {
  readonly endpointId: string;
  readonly state: 'reading' | 'delivering' | 'idle';
  /** The event being delivered (retried) now, if any. */
  readonly currentEventId: string | null;
  readonly currentSequence: number | null;
  /** Events delivered by this execution chain. */
  readonly delivered: number;
}

/** Look for new events now (sent after commits; carries nothing). */
export const wakeSignal = defineSignal('wake');
export const deliveryStatusQuery = defineQuery<WebhookDeliveryStatus>('status');

export const webhookWorkflowId = (endpointId: string): string => `webhook-endpoint-${endpointId}`;

const DEFAULT_MAX_HISTORY = 1_000;

const reads = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  // Database reads and the disabling: retried until the database answers.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function deliveries(retry: WebhookRetryPolicy, timeoutMs: number, maximumAttempts?: number): Activities {
  // The attempt's own timeout plus time to record it; a worker that dies mid-attempt is noticed after this.
  const attemptTimeoutMs = timeoutMs + 5_000;
  return proxyActivities<Activities>({
    startToCloseTimeout: attemptTimeoutMs,
    scheduleToCloseTimeout: retryDeadlineMs(retry, attemptTimeoutMs),
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      ...(maximumAttempts ? { maximumAttempts } : {}),
      nonRetryableErrorTypes: [WEBHOOK_ENDPOINT_INACTIVE],
    },
  });
}

export async function webhookEndpointDelivery(
  input: WebhookEndpointDeliveryInput,
): Promise<WebhookEndpointDeliveryEnd> {
  let woken = false;
  let delivered = input.deliveredBefore ?? 0;
  let state: WebhookDeliveryStatus['state'] = 'reading';
  let current: { id: string; sequence: number } | null = null;
  setHandler(wakeSignal, () => {
    woken = true;
  });
  setHandler(deliveryStatusQuery, () => ({
    endpointId: input.endpointId,
    state,
    currentEventId: current?.id ?? null,
    currentSequence: current?.sequence ?? null,
    delivered,
  }));
  const post = deliveries(input.retry, input.timeoutMs);
  const maxHistory = input.maxHistoryLength ?? DEFAULT_MAX_HISTORY;

  try {
    for (;;) {
      woken = false;
      state = 'reading';
      const batch = await reads.nextWebhookEvents({ endpointId: input.endpointId, limit: input.batchSize });
      if (batch.status !== 'enabled') return { outcome: 'stopped', endpointStatus: batch.status, delivered };
      for (const event of batch.events) {
        state = 'delivering';
        current = { id: event.id, sequence: event.sequence };
        try {
          await post.deliverWebhook({
            endpointId: input.endpointId,
            kind: 'event',
            sequence: event.sequence,
            retry: input.retry,
            timeoutMs: input.timeoutMs,
          });
        } catch (error) {
          if (isCancellation(error)) throw error;
          if (applicationFailureOf(error)?.type === WEBHOOK_ENDPOINT_INACTIVE) {
            return { outcome: 'stopped', endpointStatus: 'disabled', delivered };
          }
          // The retry budget is spent (or the event cannot be sent at all): disable, with the reason.
          const disabled = await reads.disableWebhookEndpoint({
            endpointId: input.endpointId,
            eventId: event.id,
            budgetMs: input.retry.budgetMs,
          });
          return {
            outcome: 'disabled',
            reason: `${disabled.reason} (${describe(error)})`,
            eventId: event.id,
            delivered,
          };
        }
        current = null;
        delivered += 1;
      }
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength > maxHistory) {
        return await continueAsNew<typeof webhookEndpointDelivery>({ ...input, deliveredBefore: delivered });
      }
      // A full batch: more may be waiting. Otherwise sleep until woken or the poll interval.
      if (batch.events.length < input.batchSize) {
        state = 'idle';
        await condition(() => woken, input.pollIntervalMs);
      }
    }
  } catch (error) {
    if (isCancellation(error)) return { outcome: 'cancelled', delivered };
    throw error;
  }
}

export interface WebhookSingleDeliveryInput {
  readonly endpointId: string;
  readonly kind: 'resend' | 'test';
  /** A resend: the event of the feed to send again. */
  readonly eventId?: string | null;
  /** A test: the test event. */
  readonly test?: TestEventInput | null;
  readonly retry: WebhookRetryPolicy;
  readonly timeoutMs: number;
}

export interface WebhookSingleDeliveryEnd {
  readonly outcome: 'delivered' | 'failed';
  /** The last attempt (null when none could be made, e.g. the endpoint was deleted). */
  readonly delivery: DeliveryOutcome | null;
  readonly reason: string | null;
}

/**
 * One delivery outside the feed's order: a resend (retried within the budget like any event,
 * but never disabling the endpoint) or a test event (one attempt, its outcome returned).
 */
export async function webhookSingleDelivery(input: WebhookSingleDeliveryInput): Promise<WebhookSingleDeliveryEnd> {
  const post = deliveries(input.retry, input.timeoutMs, input.kind === 'test' ? 1 : undefined);
  try {
    const delivery = await post.deliverWebhook({
      endpointId: input.endpointId,
      kind: input.kind,
      eventId: input.eventId ?? null,
      test: input.test ?? null,
      retry: input.retry,
      timeoutMs: input.timeoutMs,
    });
    return delivery.succeeded
      ? { outcome: 'delivered', delivery, reason: null }
      : { outcome: 'failed', delivery, reason: `HTTP ${delivery.httpStatus ?? 'no answer'}` };
  } catch (error) {
    if (isCancellation(error)) throw error;
    const failure = applicationFailureOf(error);
    const last = failure?.details?.[0] as DeliveryOutcome | undefined;
    return { outcome: 'failed', delivery: last ?? null, reason: describe(error) };
  }
}

/** The delivery settings of the configuration (`Config['webhooks']`), as the workflows take them. */
export interface WebhookDeliverySettings {
  readonly retryBudgetMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxIntervalMs: number;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
}

export function webhookRetryPolicy(settings: WebhookDeliverySettings): WebhookRetryPolicy {
  return {
    initialIntervalMs: settings.retryInitialMs,
    backoffCoefficient: 2,
    maximumIntervalMs: settings.retryMaxIntervalMs,
    budgetMs: settings.retryBudgetMs,
  };
}

/** The input of an endpoint's delivery workflow: the settings are fixed per run (a deploy never changes a running budget). */
export function webhookDeliveryInput(
  settings: WebhookDeliverySettings,
  endpointId: string,
): WebhookEndpointDeliveryInput {
  return {
    endpointId,
    retry: webhookRetryPolicy(settings),
    timeoutMs: settings.timeoutMs,
    pollIntervalMs: settings.pollIntervalMs,
    batchSize: 100,
  };
}
