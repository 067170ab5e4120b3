/**
 * Stored outcomes of money-moving requests, keyed by (caller, Idempotency-Key). A key is
 * claimed and its response stored in the same transaction as the money movement it guards,
 * so "moved money" and "remembered the answer" can never disagree.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { idempotencyKeys, type IdempotencyKeyRow } from './schema.js';

export interface IdempotencyScope {
  readonly scope: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly requestHash: string;
}

export async function findKey(db: Executor, scope: string, key: string): Promise<IdempotencyKeyRow | null> {
  const rows = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)))
    .limit(1);
  return rows[0] ?? null;
}

export type ClaimResult =
  | { readonly claimed: true; readonly row: IdempotencyKeyRow }
  | { readonly claimed: false; readonly row: IdempotencyKeyRow };

/**
 * Claims the key for `resourceId`. A concurrent claim of the same key waits on the unique
 * index until the first transaction ends, then sees the first claim (and its stored answer).
 */
export async function claimKey(db: Executor, s: IdempotencyScope, resourceId: string): Promise<ClaimResult> {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      scope: s.scope,
      key: s.key,
      method: s.method,
      path: s.path,
      requestHash: s.requestHash,
      resourceId,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted[0]) return { claimed: true, row: inserted[0] };
  const existing = await findKey(db, s.scope, s.key);
  if (!existing) throw new Error('idempotency key vanished between insert and select');
  return { claimed: false, row: existing };
}

export async function storeResponse(
  db: Executor,
  scope: string,
  key: string,
  status: number,
  body: unknown,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: status, responseBody: body, completedAt: sql`clock_timestamp()` })
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key), isNull(idempotencyKeys.completedAt)));
}

/**
 * Forgets a claim that has no stored answer, so the next request with the key claims it anew
 * (with a new resource id). Only the claim for `resourceId` is released: never a stored answer.
 */
export async function releaseKey(db: Executor, scope: string, key: string, resourceId: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.scope, scope),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.resourceId, resourceId),
        isNull(idempotencyKeys.completedAt),
      ),
    );
}
