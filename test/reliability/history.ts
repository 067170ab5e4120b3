/**
 * A recorded history of API operations, for the history checker. An *operation* is one
 * logical money movement (a grant, a deduction, a purchase, a refund) with one
 * Idempotency-Key; it may take several *requests*: a client retries with the same key after
 * a network error, a 5xx, a 429, a 409 `idempotency_key_in_use` or a 202 (still running),
 * exactly as the API documentation (docs/api.md) tells clients to. Every request and its response (or its
 * network error) is recorded; an operation's outcome is its last final answer.
 */
export type OperationKind = 'grant' | 'deduction' | 'purchase' | 'refund';

/** `acknowledged`: a 2xx final answer; `failed`: a final refusal (4xx, 502); `unknown`: no final answer. */
export type Outcome = 'acknowledged' | 'failed' | 'unknown';

export interface RecordedRequest {
  readonly at: number;
  readonly durationMs: number;
  readonly status: number | null;
  readonly body: unknown;
  /** A network error (connection refused/reset, timeout) instead of a response. */
  readonly error: string | null;
  readonly replayed: boolean;
}

export interface Operation {
  readonly seq: number;
  readonly kind: OperationKind;
  readonly key: string;
  /** The token's name: the idempotency scope and the recorded actor. */
  readonly actor: string;
  readonly token: string;
  readonly method: 'POST';
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly customerId: string;
  /** For refunds: the purchase refunded. */
  readonly purchaseId?: string;
  readonly requests: RecordedRequest[];
  outcome: Outcome;
  /** The final answer when the outcome is acknowledged or failed. */
  final: { status: number; body: Record<string, unknown> } | null;
}

/** Answers a client must retry with the same key: no decision was made, or it is not known yet. */
export function isRetryable(status: number | null, body: unknown): boolean {
  if (status === null) return true;
  if (status === 202 || status === 429 || (status >= 500 && status !== 502)) return true;
  const code = (body as { code?: unknown } | null)?.code;
  return status === 409 && code === 'idempotency_key_in_use';
}

export class History {
  readonly operations: Operation[] = [];
  private seq = 0;

  add(op: Omit<Operation, 'seq' | 'requests' | 'outcome' | 'final'>): Operation {
    const full: Operation = { ...op, seq: (this.seq += 1), requests: [], outcome: 'unknown', final: null };
    this.operations.push(full);
    return full;
  }

  requestCount(): number {
    return this.operations.reduce((n, op) => n + op.requests.length, 0);
  }

  byOutcome(outcome: Outcome): Operation[] {
    return this.operations.filter((op) => op.outcome === outcome);
  }

  /** Counts of the first and of every answer, by status (`net` for network errors). */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const op of this.operations) {
      for (const r of op.requests) {
        const k = r.status === null ? 'net' : String(r.status);
        counts[k] = (counts[k] ?? 0) + 1;
      }
    }
    return counts;
  }
}

export interface SendOptions {
  /** Per-request timeout; a timeout is recorded as a network error (the outcome is unknown). */
  readonly timeoutMs?: number;
}

/**
 * Where requests go: one API's URL, or a function that picks one per request (several API
 * processes behind a round-robin balancer; a retry may land on another process).
 */
export type ApiTarget = string | (() => string);

/** Sends one request of `op` and records it; returns the record. */
export async function send(target: ApiTarget, op: Operation, options: SendOptions = {}): Promise<RecordedRequest> {
  const started = Date.now();
  const baseUrl = typeof target === 'string' ? target : target();
  let record: RecordedRequest;
  try {
    const res = await fetch(`${baseUrl}${op.path}`, {
      method: op.method,
      headers: {
        authorization: `Bearer ${op.token}`,
        'idempotency-key': op.key,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(op.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { unparsable: text.slice(0, 200) };
    }
    record = {
      at: started,
      durationMs: Date.now() - started,
      status: res.status,
      body,
      error: null,
      replayed: res.headers.get('idempotent-replayed') === 'true',
    };
  } catch (error) {
    record = {
      at: started,
      durationMs: Date.now() - started,
      status: null,
      body: null,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      replayed: false,
    };
  }
  op.requests.push(record);
  if (!isRetryable(record.status, record.body) && record.status !== null) {
    op.outcome = record.status < 300 ? 'acknowledged' : 'failed';
    op.final = { status: record.status, body: (record.body ?? {}) as Record<string, unknown> };
  }
  return record;
}

export interface RetryPolicy {
  /** Requests per operation at most (the first included). */
  readonly maxRequests: number;
  /** Backoff before the n-th retry: min(base × 2^n, cap), jittered. */
  readonly baseDelayMs: number;
  readonly capDelayMs: number;
  /** Give up (outcome stays unknown) after this long. */
  readonly deadlineMs: number;
  readonly timeoutMs?: number;
}

export const CLIENT_RETRY: RetryPolicy = { maxRequests: 30, baseDelayMs: 100, capDelayMs: 2000, deadlineMs: 90_000 };

/** Sends `op` until it has a final answer, as a careful client does: same key, backoff. */
export async function execute(
  target: ApiTarget,
  op: Operation,
  policy: RetryPolicy = CLIENT_RETRY,
  random: () => number = Math.random,
): Promise<Operation> {
  const deadline = Date.now() + policy.deadlineMs;
  for (let attempt = 0; attempt < policy.maxRequests && Date.now() < deadline; attempt += 1) {
    await send(target, op, { timeoutMs: policy.timeoutMs });
    if (op.outcome !== 'unknown') return op;
    const backoff = Math.min(policy.capDelayMs, policy.baseDelayMs * 2 ** attempt) * (0.5 + random() / 2);
    await new Promise((r) => setTimeout(r, backoff));
  }
  return op;
}
