/**
 * Credit: balance, grants, deductions and the ledger (api-contract.md § Credit).
 * A grant or deduction is one database transaction that claims the Idempotency-Key, moves the
 * balance, appends the entry and stores the response, so a retry replays instead of re-booking.
 * A support change of at least APPROVAL_THRESHOLD is not posted here: it becomes an approval
 * (src/api/approvals/request.ts).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  CreditMovementRequest, CustomerIdParam, ListQuery,
  type CreditBalance, type CreditMovementResponse, type LedgerEntryList,
} from '../../contracts/index.js';
import { getAccount, listEntries, postEntry } from '../../db/credit-repository.js';
import { claimKey, findKey } from '../../db/idempotency-repository.js';
import { newId } from '../../db/ids.js';
import { needsApproval } from '../../domain/approval.js';
import { DomainError } from '../../domain/errors.js';
import { PlatformError } from '../../platform/client.js';
import { isApprovalReplay, requestCreditApproval } from '../approvals/request.js';
import { callerOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { problemFromError } from '../errors.js';
import { assertSameRequest, idempotencyScope, sendStored, storedResponse, type StoredResponse } from '../idempotency.js';
import { storeResponse } from '../../db/idempotency-repository.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';
import { requestIdOf } from '../request-id.js';
import { toCreditBalance, toLedgerEntry } from './mappers.js';

const EntryCursor = z.object({ v: z.number().int().positive() });

/** Maps a platform failure on a customer lookup to the caller's problem. */
export function customerLookupError(error: unknown, customerId: string): Error {
  if (error instanceof PlatformError) {
    if (error.kind === 'not_found') return new DomainError('customer_not_found', `The platform knows no customer "${customerId}".`, { customerId });
    return new DomainError('platform_unavailable', `The platform could not confirm customer "${customerId}": ${error.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export function creditRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;

  async function ensureCustomer(req: Request, customerId: string): Promise<void> {
    try {
      await deps.platform(requestIdOf(req)).getCustomer(customerId);
    } catch (error) {
      throw customerLookupError(error, customerId);
    }
  }

  router.get('/customers/:customerId/credit', requireRole('storefront'), async (req: Request, res: Response<CreditBalance>) => {
    const { customerId } = parseParams(req, CustomerIdParam);
    const account = await getAccount(db, customerId);
    // An account exists only for a customer the platform confirmed; otherwise ask it.
    if (!account) await ensureCustomer(req, customerId);
    res.json(toCreditBalance(customerId, account, deps.config.defaultCurrency));
  });

  router.get('/customers/:customerId/credit/entries', requireRole('storefront'), async (req: Request, res: Response<LedgerEntryList>) => {
    const { customerId } = parseParams(req, CustomerIdParam);
    const query = parseQuery(req, ListQuery);
    const cursor = decodeCursor(query.cursor, EntryCursor);
    const account = await getAccount(db, customerId);
    if (!account) {
      await ensureCustomer(req, customerId);
      res.json({ data: [], nextCursor: null });
      return;
    }
    const page = await listEntries(db, customerId, query.limit, cursor?.v ?? null);
    res.json({ data: page.rows.map(toLedgerEntry), nextCursor: page.nextVersion === null ? null : encodeCursor({ v: page.nextVersion }) });
  });

  function movement(kind: 'grant' | 'deduction'): (req: Request, res: Response) => Promise<void> {
    return async (req, res) => {
      const { customerId } = parseParams(req, CustomerIdParam);
      const body = parseBody(req, CreditMovementRequest);
      const scope = idempotencyScope(req, body);
      const caller = callerOf(req);
      const requestId = requestIdOf(req);

      const previous = await findKey(db, scope.scope, scope.key);
      if (previous) {
        assertSameRequest(previous, scope);
        const stored = storedResponse(previous);
        if (stored) {
          sendStored(res, stored, true);
          return;
        }
      }
      if (isApprovalReplay(previous)) {
        await requestCreditApproval(deps, res, { kind, customerId, body, scope, caller, requestId, previous });
        return;
      }
      if (kind === 'grant' && caller.role !== 'admin' && body.amount > deps.config.maxGrantAmount) {
        throw new DomainError('amount_exceeds_limit', `A ${caller.role} token may grant at most ${deps.config.maxGrantAmount} minor units at once; ask an admin.`, { limit: deps.config.maxGrantAmount });
      }
      await ensureCustomer(req, customerId);
      if (needsApproval(caller.role, body.amount, deps.config.approvals.threshold)) {
        await requestCreditApproval(deps, res, { kind, customerId, body, scope, caller, requestId, previous });
        return;
      }

      const entryId = newId('ent');
      const outcome = await db.transaction(async (tx): Promise<{ stored: StoredResponse; replayed: boolean }> => {
        const claim = await claimKey(tx, scope, entryId);
        if (!claim.claimed) {
          assertSameRequest(claim.row, scope);
          const stored = storedResponse(claim.row);
          if (!stored) throw new DomainError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly.');
          return { stored, replayed: true };
        }
        let stored: StoredResponse;
        try {
          const posted = await postEntry(tx, {
            customerId,
            type: kind,
            amount: kind === 'grant' ? body.amount : -body.amount,
            currency: body.currency,
            reason: body.reason,
            note: body.note ?? null,
            actor: caller.name,
            requestId,
            idempotencyKey: `${kind}:${scope.scope}:${scope.key}`,
          });
          const response: CreditMovementResponse = {
            entry: toLedgerEntry(posted.entry),
            credit: toCreditBalance(customerId, posted.account, deps.config.defaultCurrency),
          };
          stored = { status: 201, body: response };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          stored = { status: error.status, body: problemFromError(error, requestId) };
        }
        await storeResponse(tx, scope.scope, scope.key, stored.status, stored.body);
        return { stored, replayed: false };
      });
      sendStored(res, outcome.stored, outcome.replayed);
    };
  }

  router.post('/customers/:customerId/credit/grants', requireRole('support'), movement('grant'));
  router.post('/customers/:customerId/credit/deductions', requireRole('support'), movement('deduction'));
  return router;
}
