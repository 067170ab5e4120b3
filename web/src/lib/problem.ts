/**
 * Turns API failures into words a rep can act on. Branches on the problem's stable `code`
 * (never on its text) and reads the extension members some codes carry (`available`,
 * `required`, `refundable`, `limit`, `errors`).
 */
import { ApiError } from '../api/client';
import { formatMoney } from './money';

export interface ErrorDescription {
  /** One sentence that says what happened and what to do. */
  readonly message: string;
  readonly details: readonly string[];
  readonly code: string | null;
  readonly requestId: string | null;
}

function numberMember(error: ApiError, name: string): number | null {
  const value = error.problem?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringMember(error: ApiError, name: string): string | null {
  const value = error.problem?.[name];
  return typeof value === 'string' ? value : null;
}

/** `currency` formats the amounts some problems carry (defaults to the problem's own `currency`). */
export function describeError(error: unknown, currency?: string): ErrorDescription {
  if (!(error instanceof ApiError)) {
    return {
      message: error instanceof Error ? error.message : 'Something went wrong.',
      details: [],
      code: null,
      requestId: null,
    };
  }
  if (error.kind === 'network') {
    return {
      message: 'The service could not be reached. Check your connection and try again; retrying is safe.',
      details: [],
      code: null,
      requestId: null,
    };
  }
  if (error.kind === 'unexpected_response') {
    return {
      message: `${error.message} Reload the page; if it persists, tell the engineering team.`,
      details: [],
      code: null,
      requestId: null,
    };
  }
  const problem = error.problem;
  const money = (name: string): string | null => {
    const amount = numberMember(error, name);
    const cur = currency ?? stringMember(error, 'currency');
    if (amount === null) return null;
    return cur ? formatMoney(amount, cur) : String(amount);
  };
  const detailList = (problem?.errors ?? []).map((issue) =>
    issue.path ? `${issue.path}: ${issue.message}` : issue.message,
  );
  const base = { code: problem?.code ?? null, requestId: problem?.requestId ?? null, details: detailList };
  const fallback = problem ? `${problem.title}. ${problem.detail}` : error.message;

  switch (problem?.code) {
    case 'insufficient_credit': {
      const available = money('available');
      const required = money('required');
      return {
        ...base,
        message:
          available && required
            ? `Not enough available credit: ${available} is available but ${required} is needed. Nothing was changed.`
            : 'Not enough available credit. Nothing was changed.',
      };
    }
    case 'refund_exceeds_refundable': {
      const refundable = money('refundable');
      return {
        ...base,
        message: refundable
          ? `The refund is more than what can still be refunded: only ${refundable} is refundable on this purchase now. Nothing was refunded.`
          : 'The refund is more than what can still be refunded on this purchase. Nothing was refunded.',
      };
    }
    case 'purchase_fully_refunded':
      return { ...base, message: 'This purchase has already been fully refunded. Nothing was refunded.' };
    case 'currency_mismatch':
      return { ...base, message: `The currency does not match the customer's credit account. ${problem.detail}` };
    case 'amount_exceeds_limit': {
      const limit = money('limit');
      return {
        ...base,
        message: limit
          ? `The amount is above your limit of ${limit} per change. Ask an admin.`
          : `The amount is above your limit. ${problem.detail}`,
      };
    }
    case 'customer_not_found':
      return { ...base, message: 'The platform does not know this customer.' };
    case 'approval_self_decision':
      return { ...base, message: 'You asked for this change yourself: another admin must approve or reject it.' };
    case 'approval_not_pending':
      return {
        ...base,
        message: `This approval can no longer be decided: it is ${stringMember(error, 'approvalStatus') ?? 'already decided'}. Reload to see its state.`,
      };
    case 'approval_not_found':
      return { ...base, message: 'There is no approval with this id.' };
    case 'approval_rejected':
      return { ...base, message: `An admin rejected this change; nothing was posted. ${problem.detail}` };
    case 'approval_expired':
      return {
        ...base,
        message: 'Nobody approved this change in time; nothing was posted. Ask again if it is still needed.',
      };
    case 'purchase_not_found':
      return { ...base, message: 'There is no purchase with this id.' };
    case 'product_not_found':
      return { ...base, message: 'The platform does not know this product.' };
    case 'webhook_endpoint_not_found':
      return { ...base, message: 'There is no webhook endpoint with this id (it may have been deleted).' };
    case 'webhook_endpoint_disabled':
      return { ...base, message: 'The endpoint is disabled: enable it first, then resend.' };
    case 'webhook_event_not_found':
      return {
        ...base,
        message: 'There is no such event of a type this endpoint receives, so it cannot be sent again.',
      };
    case 'webhook_url_not_allowed':
      return { ...base, message: `This URL cannot receive webhooks here. ${problem.detail}` };
    case 'validation_failed':
      return { ...base, message: 'The service did not accept the form. Check these fields:' };
    case 'forbidden':
      return { ...base, message: 'Your token is not allowed to do this. Ask an admin if you need it.' };
    case 'unauthenticated':
      return { ...base, message: 'Your session has ended: the token is no longer accepted. Sign in again.' };
    case 'idempotency_key_reused':
      return {
        ...base,
        message:
          'This form was already submitted with different values. Reload the page to see what happened before trying again.',
      };
    case 'idempotency_key_in_use':
      return {
        ...base,
        message: 'The same request is still being processed. Wait a moment and retry; the retry is safe.',
      };
    case 'rate_limited':
      return { ...base, message: 'Too many requests. Wait a moment and retry.' };
    case 'platform_unavailable':
      return {
        ...base,
        message: 'The platform (customers, products, shipments) is not answering. Retry in a moment; retrying is safe.',
      };
    case 'service_unavailable':
      return { ...base, message: 'A dependency of the service is unavailable. Retry in a moment; retrying is safe.' };
    case 'internal_error':
      return {
        ...base,
        message:
          'The service failed unexpectedly. Retrying is safe; if it persists, give the engineering team the request id.',
      };
    default:
      return { ...base, message: fallback };
  }
}
