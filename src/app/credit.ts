/**
 * Credit: balances, the ledger, grants and deductions. A grant or deduction claims the
 * Idempotency-Key, moves the balance, appends the entry and stores the answer in one
 * transaction, so a retry replays instead of booking twice. Refusals before that (unknown
 * customer, the platform not answering, a support token over its grant limit) are not
 * remembered.
 */
import type { CreditBalance, CreditMovementRequest, CreditMovementResponse, LedgerEntry } from '../contracts/index.js';
import type { Role } from '../config.js';
import { listEntries, postEntry, readAccount } from '../db/credit-repository.js';
import { findKey, type IdempotencyScope } from '../db/idempotency-repository.js';
import type { IdempotencyKeyRow } from '../db/schema.js';
import { isApprovalId, needsApproval } from '../domain/approval.js';
import { newId } from '../domain/ids.js';
import { DomainError, problemBody } from '../domain/errors.js';
import { PlatformError } from '../platform/client.js';
import type { Actor, AppDeps } from './deps.js';
import { toCreditBalance, toLedgerEntry } from './credit-views.js';
import { runIdempotent, storedAnswer, type Answer, type Outcome } from './idempotent.js';

export type MovementKind = 'grant' | 'deduction';

/** Maps a platform failure on a customer lookup to the caller's problem. */
export function customerLookupError(error: unknown, customerId: string): Error {
  if (error instanceof PlatformError) {
    if (error.kind === 'not_found')
      return new DomainError('customer_not_found', `The platform knows no customer "${customerId}".`, { customerId });
    return new DomainError(
      'platform_unavailable',
      `The platform could not confirm customer "${customerId}": ${error.message}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Throws `customer_not_found` / `platform_unavailable` unless the platform knows the customer. */
export async function ensureCustomer(deps: AppDeps, customerId: string, requestId: string): Promise<void> {
  try {
    await deps.platform(requestId).getCustomer(customerId);
  } catch (error) {
    throw customerLookupError(error, customerId);
  }
}

export async function creditBalance(deps: AppDeps, customerId: string, requestId: string): Promise<CreditBalance> {
  const account = await readAccount(deps.database.db, customerId);
  // An account exists only for a customer the platform confirmed; otherwise ask it.
  if (!account) await ensureCustomer(deps, customerId, requestId);
  return toCreditBalance(customerId, account, deps.config.defaultCurrency);
}

export interface EntryPage {
  readonly data: LedgerEntry[];
  /** The version to continue below, or null on the last page. */
  readonly nextVersion: number | null;
}

export async function ledgerEntries(
  deps: AppDeps,
  customerId: string,
  limit: number,
  before: number | null,
  requestId: string,
): Promise<EntryPage> {
  // One query when the page has entries (they exist only for an account); an empty page asks
  // whether the account exists, and an unknown account is the platform's to confirm.
  const page = await listEntries(deps.database.db, customerId, limit, before);
  if (page.rows.length === 0 && !(await readAccount(deps.database.db, customerId))) {
    await ensureCustomer(deps, customerId, requestId);
    return { data: [], nextVersion: null };
  }
  return { data: page.rows.map(toLedgerEntry), nextVersion: page.nextVersion };
}

/** Refusals of a movement that are not remembered: a support grant over its limit, an unknown customer. */
async function precheckMovement(
  deps: AppDeps,
  kind: MovementKind,
  customerId: string,
  request: CreditMovementRequest,
  actor: Actor & { readonly role: Role },
): Promise<void> {
  const limit = deps.config.maxGrantAmount;
  if (kind === 'grant' && actor.role !== 'admin' && request.amount > limit) {
    throw new DomainError(
      'amount_exceeds_limit',
      `A ${actor.role} token may grant at most ${limit} minor units at once; ask an admin.`,
      { limit },
    );
  }
  await ensureCustomer(deps, customerId, actor.requestId);
}

/**
 * Whether the movement goes to an admin instead of the ledger: a replay of a key that became
 * an approval, or a support change at or above APPROVAL_THRESHOLD (checked as a movement
 * first). Returns the key's earlier row for the approval, or null to post (or replay) here.
 */
export async function approvalRoute(
  deps: AppDeps,
  scope: IdempotencyScope,
  kind: MovementKind,
  customerId: string,
  request: CreditMovementRequest,
  actor: Actor & { readonly role: Role },
): Promise<{ readonly previous: IdempotencyKeyRow | null } | null> {
  const previous = await findKey(deps.database.db, scope.scope, scope.key);
  if (previous && storedAnswer(previous)) return null;
  if (previous && isApprovalId(previous.resourceId)) return { previous };
  if (!needsApproval(actor.role, request.amount, deps.config.approvals.threshold)) return null;
  await precheckMovement(deps, kind, customerId, request, actor);
  return { previous };
}

/** A grant or a deduction, run once per Idempotency-Key. */
export async function moveCredit(
  deps: AppDeps,
  scope: IdempotencyScope,
  kind: MovementKind,
  customerId: string,
  request: CreditMovementRequest,
  actor: Actor & { readonly role: Role },
): Promise<Answer> {
  return runIdempotent(deps.database, scope, {
    mode: 'with-claim',
    newResourceId: () => newId('ent'),
    precheck: () => precheckMovement(deps, kind, customerId, request, actor),
    execute: async ({ db }): Promise<Outcome> => {
      try {
        const posted = await postEntry(db, {
          customerId,
          type: kind,
          amount: kind === 'grant' ? request.amount : -request.amount,
          currency: request.currency,
          reason: request.reason,
          note: request.note ?? null,
          actor: actor.name,
          requestId: actor.requestId,
          idempotencyKey: `${kind}:${scope.scope}:${scope.key}`,
        });
        const body: CreditMovementResponse = {
          entry: toLedgerEntry(posted.entry),
          credit: toCreditBalance(customerId, posted.account, deps.config.defaultCurrency),
        };
        return {
          kind: 'final',
          answer: { status: 201, body },
          events: [
            {
              type: kind === 'grant' ? 'credit.granted' : 'credit.deducted',
              customerId,
              data: body.entry,
            },
          ],
        };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return {
          kind: 'final',
          answer: {
            status: error.status,
            body: problemBody(error.code, error.message, error.extensions, actor.requestId),
          },
        };
      }
    },
  });
}
