/**
 * Activity interceptors of the worker:
 * - logs: every `Context.current().log` line of an activity carries the request id of the HTTP
 *   request behind it (the `requestId` header set by workflows/interceptors.ts, or the
 *   activity input's `requestId`);
 * - metrics: outcomes of the saga's steps, read from what the activities did (purchases by
 *   outcome, saga duration, shipment attempts, compensations, refunds, credit movements).
 *   Measuring here keeps prom-client out of workflow code and out of every activity body.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import { getAttempt, getRefund } from '../db/purchase-repository.js';
import type { Metrics } from '../metrics.js';

const REQUEST_ID_HEADER = 'requestId';

type Input = Record<string, unknown> | undefined;

function field<T>(input: Input, key: string, guard: (v: unknown) => v is T): T | undefined {
  const value = input?.[key];
  return guard(value) ? value : undefined;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';

function failureType(error: unknown): string | null {
  if (error instanceof ApplicationFailure) return error.type ?? null;
  return null;
}

async function sagaSeconds(deps: ActivityDeps, purchaseId: string | undefined): Promise<number | null> {
  if (!purchaseId) return null;
  const attempt = await getAttempt(deps.database.db, purchaseId);
  if (!attempt) return null;
  return ((attempt.finishedAt ?? new Date()).getTime() - attempt.createdAt.getTime()) / 1000;
}

function shipmentAttempt(metrics: Metrics, error: unknown): void {
  metrics.shipmentAttempts.inc({
    result: error === null ? 'created' : failureType(error) === 'shipment_rejected' ? 'rejected' : 'retryable_error',
  });
}

/**
 * A purchase committed: the commit step's input and the attempt's duration, which the commit
 * returns from the UPDATE that completed the attempt (null on a retried commit, already counted),
 * so no read is added to the saga's path.
 */
function purchaseCompleted(metrics: Metrics, commit: Input, seconds: number | null): void {
  const total = field(commit, 'total', isNumber) ?? 0;
  const currency = field(commit, 'currency', isString) ?? 'unknown';
  metrics.purchases.inc({ outcome: 'completed', code: 'none' });
  if (total > 0) {
    metrics.creditMovements.inc({ type: 'purchase', currency });
    metrics.creditMovementAmount.inc({ type: 'purchase', currency }, total);
  }
  if (seconds !== null) metrics.sagaDuration.observe({ outcome: 'completed' }, seconds);
}

function sagaSecondsOf(result: unknown): number | null {
  const seconds = (result as { sagaSeconds?: unknown } | undefined)?.sagaSeconds;
  return typeof seconds === 'number' ? seconds : null;
}

async function record(
  deps: ActivityDeps,
  metrics: Metrics,
  activityType: string,
  input: Input,
  result: unknown,
  error: unknown,
): Promise<void> {
  const ok = error === null;
  switch (activityType) {
    case 'createShipment':
      shipmentAttempt(metrics, error);
      return;
    case 'shipAndCommit': {
      shipmentAttempt(metrics, error);
      if (ok && (result as { committed?: unknown } | undefined)?.committed === true)
        purchaseCompleted(metrics, input?.commit as Input, sagaSecondsOf(result));
      return;
    }
    case 'commitPurchase':
      if (ok) purchaseCompleted(metrics, input, sagaSecondsOf(result));
      return;
    case 'recordAttemptFailure': {
      if (!ok) return;
      const problem = input?.problem as Record<string, unknown> | undefined;
      metrics.purchases.inc({ outcome: 'failed', code: field(problem, 'code', isString) ?? 'unknown' });
      const seconds = await sagaSeconds(deps, field(input, 'purchaseId', isString));
      if (seconds !== null) metrics.sagaDuration.observe({ outcome: 'failed' }, seconds);
      return;
    }
    case 'releaseCredit':
      if (ok && (result as { released?: unknown } | undefined)?.released === true) {
        metrics.compensations.inc({ reason: field(input, 'reason', isString) ?? 'unknown' });
      }
      return;
    case 'applyRefund': {
      if (ok) {
        metrics.refunds.inc({ outcome: 'completed' });
        const refundId = (result as { refundId?: unknown } | undefined)?.refundId;
        const refund = typeof refundId === 'string' ? await getRefund(deps.database.db, refundId) : null;
        if (refund) {
          metrics.creditMovements.inc({ type: 'refund', currency: refund.currency });
          metrics.creditMovementAmount.inc({ type: 'refund', currency: refund.currency }, refund.amount);
        }
      } else if (error instanceof ApplicationFailure && error.nonRetryable) {
        metrics.refunds.inc({ outcome: 'refused' });
      }
      return;
    }
    default:
  }
}

export function activityInterceptors(deps: ActivityDeps): ActivityInterceptorsFactory {
  return (ctx: Context) => {
    let requestId: string | null = null;
    return {
      inbound: {
        async execute(input, next) {
          const header = input.headers[REQUEST_ID_HEADER];
          const fromHeader = header ? defaultPayloadConverter.fromPayload<unknown>(header) : null;
          const first = input.args[0] as Input;
          requestId = typeof fromHeader === 'string' ? fromHeader : (field(first, 'requestId', isString) ?? null);
          const { metrics } = deps;
          if (!metrics) return next(input);
          const type = ctx.info.activityType;
          let result: unknown;
          try {
            result = await next(input);
          } catch (error) {
            await record(deps, metrics, type, first, undefined, error).catch(() => undefined);
            throw error;
          }
          await record(deps, metrics, type, first, result, null).catch(() => undefined);
          return result;
        },
      },
      outbound: {
        getLogAttributes(attributes, next) {
          return next(requestId ? { ...attributes, requestId } : attributes);
        },
      },
    };
  };
}
