/**
 * How workflows read what their activities report (activities/failures.ts is the other half):
 * a business refusal is a non-retryable `ApplicationFailure` whose `type` is an error code of
 * the catalogue and whose first detail holds the problem's extensions. Workflows branch on
 * `type`, never on message text. Shared by every workflow of this folder.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { isErrorCode, type ProblemExtensions } from '../src/domain/errors.js';
import type { PurchaseRefusal } from '../src/domain/purchase.js';

/** The `ApplicationFailure` an activity threw (directly or wrapped in an `ActivityFailure`), or null. */
export function applicationFailureOf(error: unknown): ApplicationFailure | null {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) return error.cause;
  if (error instanceof ApplicationFailure) return error;
  return null;
}

/** The first detail of an `ApplicationFailure`: the problem's extensions (empty when absent). */
export function extensionsOf(failure: ApplicationFailure): ProblemExtensions {
  const first: unknown = failure.details?.[0];
  return first && typeof first === 'object' ? (first as ProblemExtensions) : {};
}

/** A business refusal reported by an activity, or null for an infrastructure failure. */
export function refusalOf(error: unknown): PurchaseRefusal | null {
  const failure = applicationFailureOf(error);
  if (!failure?.nonRetryable || !isErrorCode(failure.type)) return null;
  return { code: failure.type, detail: failure.message, extensions: extensionsOf(failure) };
}

/** One line for operators: which activity failed and why. */
export function describe(error: unknown): string {
  if (error instanceof ActivityFailure) return `${error.activityType}: ${error.cause?.message ?? error.message}`;
  return error instanceof Error ? error.message : String(error);
}
