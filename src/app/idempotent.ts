/**
 * Idempotent execution of a money-moving request: the one implementation of the
 * `Idempotency-Key` rules that every such use case runs through.
 *
 * - A key seen before with a stored answer replays that answer (`replayed: true`); the same
 *   key with another request is 422 `idempotency_key_reused`.
 * - A new key is claimed, which fixes the id of the resource the request creates, so a retry
 *   — also one after this process died — works on the same resource instead of a second one.
 * - What is remembered: a final answer (success or a business refusal). What is not: a
 *   refusal caused by a transient dependency before any money was reserved (the key is
 *   released, so a retry with the same key runs again as a new attempt), and an answer
 *   given while the work is still running (a retry attaches to it).
 */
import type { Database, Executor } from '../db/client.js';
import { appendEvent, type NewEvent } from '../db/events-repository.js';
import { claimKey, findKey, releaseKey, storeResponse, type IdempotencyScope } from '../db/idempotency-repository.js';
import type { IdempotencyKeyRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';

/** The request a key guards (caller, key, route, body hash); built by the HTTP layer. */
export type { IdempotencyScope };

/** An HTTP-shaped answer: what a stored key replays, and what a use case returns. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** Set when the answer is the stored (or attached) one of an earlier request with the key. */
  readonly replayed?: boolean;
  readonly location?: string;
  /** Seconds, for a 202 or a 503 the caller should retry. */
  readonly retryAfter?: number;
}

/**
 * What the work came to: `final` is stored against the key; `transient` is answered but not
 * stored and releases the key; `pending` is answered and keeps the key claimed.
 */
export interface Outcome {
  readonly kind: 'final' | 'transient' | 'pending';
  readonly answer: Answer;
  /**
   * Outbox events of the change (`with-claim` only): appended after the answer is stored, as
   * the transaction's last statements, so they commit with the change or not at all and a
   * replay of the key, which stores and changes nothing, announces nothing.
   */
  readonly events?: readonly NewEvent[];
}

export interface IdempotentWork {
  /** A fresh id for the resource, used when this request claims the key. */
  readonly newResourceId: () => string;
  /** Checks of a request whose key is new; a refusal here is not remembered. */
  readonly precheck?: () => Promise<void>;
  /** Writes that commit together with the claim (the purchase attempt). */
  readonly onClaim?: (tx: Executor, resourceId: string) => Promise<void>;
  /**
   * `with-claim`: the work runs in the claim's transaction and its answer is stored in it, so
   * "moved the money" and "remembered the answer" commit together (a ledger movement).
   * `after-claim`: the claim commits first and the work runs outside it (a workflow); a retry
   * of a claimed key without an answer runs the work again, which attaches to the first run.
   */
  readonly mode: 'with-claim' | 'after-claim';
  /** Calls that may throw: the work for `resourceId`; `replayed` when an earlier request claimed the key. */
  readonly execute: (ctx: {
    readonly db: Executor;
    readonly resourceId: string;
    readonly replayed: boolean;
  }) => Promise<Outcome>;
}

/** Throws `idempotency_key_reused` when a stored key was used for another request. */
export function assertSameRequest(stored: IdempotencyKeyRow, scope: IdempotencyScope): void {
  if (stored.requestHash !== scope.requestHash) {
    throw new DomainError(
      'idempotency_key_reused',
      `The Idempotency-Key "${scope.key}" was first used for ${stored.method} ${stored.path} with a different body. Use a new key for a new request.`,
    );
  }
}

/** The stored answer of a key, or null while its request has none. */
export function storedAnswer(row: IdempotencyKeyRow): Answer | null {
  if (row.responseStatus === null || row.completedAt === null) return null;
  return { status: row.responseStatus, body: row.responseBody, replayed: true };
}

/** Runs `work` at most once per (caller, key); see the module comment for the rules. */
export async function runIdempotent(
  database: Database,
  scope: IdempotencyScope,
  work: IdempotentWork,
): Promise<Answer> {
  const { db } = database;
  const previous = await findKey(db, scope.scope, scope.key);
  if (previous) {
    assertSameRequest(previous, scope);
    const stored = storedAnswer(previous);
    if (stored) return stored;
  } else {
    await work.precheck?.();
  }
  if (work.mode === 'with-claim') {
    return db.transaction(async (tx) => {
      const claim = await claimKey(tx, scope, work.newResourceId());
      assertSameRequest(claim.row, scope);
      if (!claim.claimed) {
        const stored = storedAnswer(claim.row);
        if (!stored)
          throw new DomainError(
            'idempotency_key_in_use',
            'A request with this Idempotency-Key is still being processed; retry shortly.',
          );
        return stored;
      }
      return settle(
        tx,
        scope,
        claim.row.resourceId,
        await work.execute({ db: tx, resourceId: claim.row.resourceId, replayed: false }),
        true,
      );
    });
  }
  const claim = previous
    ? { row: previous, claimed: false }
    : await db.transaction(async (tx) => {
        const result = await claimKey(tx, scope, work.newResourceId());
        if (result.claimed) await work.onClaim?.(tx, result.row.resourceId);
        return result;
      });
  assertSameRequest(claim.row, scope);
  const stored = storedAnswer(claim.row);
  if (stored) return stored;
  const replayed = !claim.claimed;
  const outcome = await work.execute({ db, resourceId: claim.row.resourceId, replayed });
  return {
    ...(await settle(db, scope, claim.row.resourceId, outcome, false)),
    ...(replayed ? { replayed } : {}),
  };
}

async function settle(
  db: Executor,
  scope: IdempotencyScope,
  resourceId: string,
  outcome: Outcome,
  inTransaction: boolean,
): Promise<Answer> {
  if (outcome.events && outcome.events.length > 0 && !inTransaction)
    throw new Error('outbox events need the with-claim mode: they must commit with the change');
  if (outcome.kind === 'final')
    await storeResponse(db, scope.scope, scope.key, outcome.answer.status, outcome.answer.body);
  if (outcome.kind === 'transient') await releaseKey(db, scope.scope, scope.key, resourceId);
  for (const event of outcome.events ?? []) await appendEvent(db, event);
  return outcome.answer;
}
