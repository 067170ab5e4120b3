/**
 * The retry arithmetic of webhook delivery, shared by the delivery workflow (which sets the
 * activity's retry policy) and the delivery activity (which records when the next attempt is
 * due). Pure: workflows import it.
 */

/** The non-retryable failure type of a delivery to a disabled or deleted endpoint: the workflow stops. */
export const WEBHOOK_ENDPOINT_INACTIVE = 'webhook_endpoint_inactive';
/** The failure type of one failed delivery attempt (retried). */
export const WEBHOOK_DELIVERY_FAILED = 'webhook_delivery_failed';

export interface WebhookRetryPolicy {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  /** Attempts go on for at least this long after the first one. */
  readonly budgetMs: number;
}

/** The wait after failed attempt `attempt` (1-based), as Temporal's retry policy computes it. */
export function retryDelayMs(policy: WebhookRetryPolicy, attempt: number): number {
  const raw = policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.min(policy.maximumIntervalMs, raw);
}

/**
 * The schedule-to-close timeout that gives at least `budgetMs` of retries. Temporal schedules no
 * retry that would start after the deadline (the time-skipping test server stops a little
 * earlier than the real server), so the deadline leaves room for two maximum intervals and an
 * attempt past the budget: the last attempt starts at or after the budget, and within two
 * maximum intervals of it (24–26 h with the defaults).
 */
export function retryDeadlineMs(policy: WebhookRetryPolicy, attemptTimeoutMs: number): number {
  return policy.budgetMs + 2 * policy.maximumIntervalMs + attemptTimeoutMs;
}
