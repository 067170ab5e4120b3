/**
 * The service's error vocabulary. Each error declares its stable `code` (what clients branch
 * on), its HTTP status and a title where it is defined; `src/api/errors.ts` is the one place
 * that turns them into RFC 9457 problem responses. Pure: workflows may import it.
 */

export const ERROR_CATALOG = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  idempotency_key_required: { status: 400, title: 'An Idempotency-Key header is required' },
  instant_in_future: { status: 400, title: 'The instant asked for is in the future' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'This token may not do that' },
  approval_self_decision: { status: 403, title: 'The requester of an approval may not decide it' },
  not_found: { status: 404, title: 'No such route' },
  customer_not_found: { status: 404, title: 'Customer not found' },
  product_not_found: { status: 404, title: 'Product not found' },
  purchase_not_found: { status: 404, title: 'Purchase not found' },
  purchase_attempt_not_found: { status: 404, title: 'Purchase attempt not found' },
  reconciliation_run_not_found: { status: 404, title: 'Reconciliation run not found' },
  promo_code_not_found: { status: 404, title: 'Promo code not found' },
  approval_not_found: { status: 404, title: 'Approval not found' },
  entry_not_found: { status: 404, title: 'Ledger entry not found' },
  webhook_endpoint_not_found: { status: 404, title: 'Webhook endpoint not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  insufficient_credit: { status: 409, title: 'Not enough available credit' },
  price_changed: { status: 409, title: 'The price has changed' },
  purchase_fully_refunded: { status: 409, title: 'The purchase is already fully refunded' },
  purchase_cancelled: { status: 409, title: 'The purchase was cancelled before it completed' },
  purchase_not_cancellable: { status: 409, title: 'The purchase cannot be cancelled now' },
  promo_code_exists: { status: 409, title: 'A promo code with this name already exists' },
  approval_not_pending: { status: 409, title: 'The approval has already been decided or has expired' },
  approval_rejected: { status: 409, title: 'The credit change was rejected by an admin' },
  approval_expired: { status: 409, title: 'The credit change expired before an admin decided' },
  webhook_endpoint_disabled: { status: 409, title: 'The webhook endpoint is disabled' },
  idempotency_key_in_use: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Request bodies must be application/json' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key was used with a different request' },
  currency_mismatch: { status: 422, title: 'The currency does not match the account' },
  amount_exceeds_limit: { status: 422, title: 'The amount exceeds the limit for this role' },
  amount_out_of_range: { status: 422, title: 'The amount is beyond what the ledger can hold' },
  product_unavailable: { status: 422, title: 'The product cannot be purchased' },
  promo_code_invalid: { status: 422, title: 'The promo code cannot be applied' },
  refund_exceeds_refundable: { status: 422, title: 'The refund exceeds the refundable amount' },
  promo_code_rules_invalid: { status: 422, title: "The promo code's rules contradict each other or its current use" },
  webhook_url_not_allowed: { status: 422, title: 'This URL cannot receive webhooks' },
  // 422, not 404: the endpoint in the path exists; the body names an event it cannot be sent.
  webhook_event_not_found: { status: 422, title: 'No such event for this endpoint' },
  cursor_invalid: { status: 422, title: 'The cursor is not one this API issued' },
  statement_too_large: { status: 422, title: 'The statement period holds too many entries' },
  statement_period_invalid: { status: 422, title: 'The statement period ends before it starts' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  shipment_failed: { status: 502, title: 'The shipment could not be created' },
  platform_unavailable: { status: 503, title: 'The platform API is not answering' },
  service_unavailable: { status: 503, title: 'A dependency of the service is unavailable' },
  overloaded: { status: 503, title: 'The service is at capacity; retry later' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Extra, machine-readable members of a problem body (`available`, `required`, `reason` …). */
export type ProblemExtensions = Record<
  string,
  string | number | boolean | null | readonly unknown[] | Record<string, unknown>
>;

/** A failure with a meaning for the caller: it maps to one problem response. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly extensions: ProblemExtensions;

  constructor(code: ErrorCode, detail: string, extensions: ProblemExtensions = {}) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.title = ERROR_CATALOG[code].title;
    this.extensions = extensions;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, value);
}

export const PROBLEM_TYPE_BASE = 'https://docs.purchase-ledger.example/problems/';

/** An RFC 9457 problem body: the members every problem has, plus the code's extensions. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly requestId?: string;
  readonly [extension: string]: unknown;
}

export function problemBody(
  code: ErrorCode,
  detail: string,
  extensions: ProblemExtensions = {},
  requestId?: string,
): ProblemBody {
  const { status, title } = ERROR_CATALOG[code];
  return {
    ...extensions,
    type: `${PROBLEM_TYPE_BASE}${code.replace(/_/g, '-')}`,
    title,
    status,
    detail,
    code,
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * Refusals caused by a dependency that may answer on the next try. When one ends a request
 * before any money was reserved, the answer is not remembered against the Idempotency-Key:
 * a retry with the same key runs again.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set<ErrorCode>(['platform_unavailable', 'service_unavailable']);

export function isTransientRefusal(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

/** Adds `extensions` to the problem an error maps to (e.g. the purchase attempt it belongs to). */
export function withProblemExtensions(error: unknown, extensions: ProblemExtensions): Error {
  if (error instanceof DomainError)
    return new DomainError(error.code, error.message, { ...error.extensions, ...extensions });
  return new ExtendedError(error, extensions);
}

/** An error that is not a DomainError, with members its problem body must carry. */
export class ExtendedError extends Error {
  readonly extensions: ProblemExtensions;

  constructor(cause: unknown, extensions: ProblemExtensions) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ExtendedError';
    this.extensions = extensions;
  }
}
