/**
 * How activities report outcomes to workflows: a business refusal is a non-retryable
 * `ApplicationFailure` whose `type` is the API error code and whose first detail holds the
 * problem's extensions; the workflow branches on `type`, never on message text.
 * Everything else is thrown as is and retried by the activity's retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../src/domain/errors.js';

export function refusal(error: DomainError): ApplicationFailure {
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: true,
    details: [error.extensions],
  });
}

/** Runs `fn`, turning a DomainError into a non-retryable failure the workflow can read. */
export async function refusingDomainErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError) throw refusal(error);
    throw error;
  }
}
