/**
 * Admission control of new purchases: when the service cannot take more without answering
 * late, `POST /v1/purchases` is refused with 503 `overloaded` and `Retry-After` before the key
 * is claimed, the attempt recorded or anything reserved — so a retry with the same key is a
 * first request again.
 *
 * Two signals, each with a bound (0 = not checked):
 *
 * - **Purchases in flight**: attempts still pending (their sagas running), counted in Postgres,
 *   so every API process sees the same backlog. Only attempts younger than the shipment budget
 *   plus the sync wait count: an older pending attempt is a stuck saga for reconciliation and
 *   operators, not load. The count walks the partial index of pending attempts up to the bound
 *   (`countPendingAttempts`).
 * - **Task-queue backlog age**: how long the oldest workflow task has waited for a worker
 *   (DescribeTaskQueue with stats), i.e. the schedule-to-start latency new sagas will meet.
 *
 * With a latency target (`targetMs`), the in-flight bound adapts: each process times the
 * purchases it admitted, from admission to the saga's answer (a 202 counts as the sync wait),
 * and at each sample lowers its bound by a quarter while the 90th percentile of those
 * admitted since its last decrease is over the target — once per round of sagas, so one slow
 * round does not collapse it — and raises it by one while the target is met, never past
 * `maxInFlight` nor below 1. A fixed bound holds latency near bound ÷ throughput only for the
 * throughput it was sized for; the adaptive one follows the throughput the workers have now.
 *
 * One process asks at most once per `sampleMs` (concurrent requests share the one question)
 * and, between samples, adds the purchases it admitted itself to the sampled count, so a burst
 * into one process cannot run past the bound in the gap. With N API processes the gap can let
 * through at most what the others admit within one sample interval.
 *
 * A signal that cannot be read (the database or Temporal not answering) admits: the request
 * then fails on that dependency itself, with the answer that dependency's failure has.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { countPendingAttempts } from '../db/attempt-repository.js';
import { DomainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** Which bound refused a purchase (the metric's label). */
export type RefusalReason = 'in_flight' | 'backlog_age';

/** What one sample saw; null where the signal is off or could not be read. */
export interface AdmissionSample {
  readonly inFlight: number | null;
  readonly backlogAgeMs: number | null;
}

/**
 * An admitted purchase: `answered(ended)` once its saga answered — `ended` when it finished
 * (no longer in flight), not when it was still running at the sync deadline (202).
 */
export interface AdmissionTicket {
  answered(ended?: boolean): void;
}

export interface AdmissionState {
  readonly sample: AdmissionSample | null;
  readonly admittedSinceSample: number;
  /** The bound of purchases in flight in force now (below `maxInFlight` while the latency target is missed). */
  readonly bound: number;
}

export interface PurchaseAdmission {
  /** Resolves with a ticket when a new purchase may start; throws DomainError `overloaded` (with `retryAfter`) otherwise. */
  admit(): Promise<AdmissionTicket>;
  /** The last sample, what this process admitted since and its bound (for tests and diagnostics). */
  readonly state: () => AdmissionState;
}

export interface AdmissionDeps {
  readonly config: Config;
  readonly database: Database;
  readonly temporal: Client;
  readonly logger: Logger;
  /** Called once per refusal (the refusals counter). */
  readonly onRefusal?: (reason: RefusalReason) => void;
  readonly now?: () => number;
  /** Replaces the reading of the in-flight count (unit tests of the bound's arithmetic). */
  readonly readInFlight?: () => Promise<number>;
}

/** How often, at most, one process writes the "refusing purchases" log line. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** How long a sample may take before the process admits without it. */
const SAMPLE_DEADLINE_MS = 1000;
// temporal.api.enums.v1: TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_KIND_NORMAL.
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_KIND_NORMAL = 1;

const NO_TICKET: AdmissionTicket = { answered: () => undefined };

/** Admits everything: both bounds off. */
const OPEN: PurchaseAdmission = {
  admit: () => Promise.resolve(NO_TICKET),
  state: () => ({ sample: null, admittedSinceSample: 0, bound: 0 }),
};

/** The `q` quantile (0–1) of `values`, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

export function createPurchaseAdmission(deps: AdmissionDeps): PurchaseAdmission {
  const { maxInFlight, maxBacklogAgeMs, sampleMs, retryAfterSeconds, targetMs } = deps.config.admission;
  if (maxInFlight <= 0 && maxBacklogAgeMs <= 0) return OPEN;
  const now = deps.now ?? Date.now;
  const windowMs = deps.config.shipmentRetryBudgetMs + deps.config.purchaseSyncTimeoutMs;

  let sample: AdmissionSample | null = null;
  let sampledAt = -Infinity;
  let admittedSinceSample = 0;
  // Which sample an admission was counted against: one that ends before the next sample leaves the count.
  let sampleEpoch = 0;
  let sampling: Promise<void> | null = null;
  let refusedSinceLog = 0;
  let lastLogAt = -Infinity;
  let lastSignalErrorLogAt = -Infinity;
  // The adaptive bound (targetMs > 0): answered latencies of purchases admitted since the last decrease.
  let bound = maxInFlight;
  let lastDecreaseAt = -Infinity;
  let latencies: number[] = [];

  const adapt = (): void => {
    if (targetMs <= 0 || latencies.length === 0) return;
    if (quantile(latencies, 0.9) > targetMs) {
      bound = Math.max(1, Math.floor(bound * 0.75));
      lastDecreaseAt = now();
    } else {
      bound = Math.min(maxInFlight, bound + 1);
    }
    latencies = [];
  };

  const signalFailed = (signal: string, error: unknown): null => {
    if (now() - lastSignalErrorLogAt >= REFUSAL_LOG_INTERVAL_MS) {
      lastSignalErrorLogAt = now();
      deps.logger.warn({ err: error, signal }, 'admission control: a signal could not be read; admitting');
    }
    return null;
  };

  const readInFlight = async (): Promise<number | null> => {
    if (maxInFlight <= 0) return null;
    try {
      if (deps.readInFlight) return await deps.readInFlight();
      return await countPendingAttempts(deps.database.db, new Date(now() - windowMs), maxInFlight + 1);
    } catch (error) {
      return signalFailed('in_flight', error);
    }
  };

  const readBacklogAge = async (): Promise<number | null> => {
    if (maxBacklogAgeMs <= 0) return null;
    try {
      const answer = await deps.temporal.connection.withDeadline(now() + SAMPLE_DEADLINE_MS, () =>
        deps.temporal.workflowService.describeTaskQueue({
          namespace: deps.config.temporal.namespace,
          taskQueue: { name: deps.config.temporal.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
          reportStats: true,
        }),
      );
      const age = answer.stats?.approximateBacklogAge;
      if (!age) return 0;
      return Number(age.seconds ?? 0) * 1000 + Math.floor((age.nanos ?? 0) / 1e6);
    } catch (error) {
      return signalFailed('backlog_age', error);
    }
  };

  const refresh = async (): Promise<void> => {
    const [inFlight, backlogAgeMs] = await Promise.all([readInFlight(), readBacklogAge()]);
    sample = { inFlight, backlogAgeMs };
    sampledAt = now();
    admittedSinceSample = 0;
    sampleEpoch += 1;
    adapt();
  };

  const current = async (): Promise<AdmissionSample | null> => {
    if (now() - sampledAt >= sampleMs) {
      sampling ??= refresh().finally(() => {
        sampling = null;
      });
      await sampling;
    }
    return sample;
  };

  const refuse = (reason: RefusalReason, seen: AdmissionSample): never => {
    deps.onRefusal?.(reason);
    refusedSinceLog += 1;
    if (now() - lastLogAt >= REFUSAL_LOG_INTERVAL_MS) {
      deps.logger.warn(
        {
          reason,
          refused: refusedSinceLog,
          inFlight: seen.inFlight === null ? null : seen.inFlight + admittedSinceSample,
          bound,
          maxInFlight,
          backlogAgeMs: seen.backlogAgeMs,
          maxBacklogAgeMs,
        },
        'purchases refused: overloaded',
      );
      lastLogAt = now();
      refusedSinceLog = 0;
    }
    throw new DomainError(
      'overloaded',
      `The service is taking no new purchases for now (${reason === 'in_flight' ? 'too many purchases in flight' : 'the workers are behind'}); nothing was recorded or reserved. Retry after ${retryAfterSeconds} s, with the same Idempotency-Key.`,
      { retryAfter: retryAfterSeconds },
    );
  };

  return {
    admit: async (): Promise<AdmissionTicket> => {
      const seen = await current();
      if (!seen) return NO_TICKET;
      if (seen.inFlight !== null && seen.inFlight + admittedSinceSample >= bound) refuse('in_flight', seen);
      if (seen.backlogAgeMs !== null && seen.backlogAgeMs >= maxBacklogAgeMs) refuse('backlog_age', seen);
      admittedSinceSample += 1;
      const admittedAt = now();
      const epoch = sampleEpoch;
      return {
        answered: (ended = false): void => {
          // A purchase that ended before the next sample is no longer in flight: it leaves this process's
          // own count (a later sample would not see it either), so sequential purchases are never refused.
          if (ended && epoch === sampleEpoch && admittedSinceSample > 0) admittedSinceSample -= 1;
          // Purchases admitted before the last decrease waited under the old bound: they say nothing of the new one.
          if (targetMs > 0 && admittedAt > lastDecreaseAt) latencies.push(now() - admittedAt);
        },
      };
    },
    state: () => ({ sample, admittedSinceSample, bound }),
  };
}
