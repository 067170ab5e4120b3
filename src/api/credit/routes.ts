/**
 * Credit: balance, grants, deductions and the ledger. Parse, run the use case
 * (`src/app/credit.ts`), send its answer. A support change of at least APPROVAL_THRESHOLD is
 * not posted here: it becomes an approval (src/app/approvals.ts).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  CreditBalanceQuery,
  CreditMovementRequest,
  CustomerIdParam,
  ListQuery,
  type CreditBalance,
  type LedgerEntryList,
} from '../../contracts/index.js';
import { creditBalanceAsOf } from '../../app/audit.js';
import { requestCreditApproval } from '../../app/approvals.js';
import { approvalRoute, creditBalance, ledgerEntries, moveCredit, type MovementKind } from '../../app/credit.js';
import { actorOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { idempotencyScope } from '../idempotency.js';
import { sendAnswer } from '../respond.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';
import { requestIdOf } from '../request-id.js';

const EntryCursor = z.object({ v: z.number().int().positive() });

export function creditRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get(
    '/customers/:customerId/credit',
    requireRole('storefront'),
    async (req: Request, res: Response<CreditBalance>) => {
      const { customerId } = parseParams(req, CustomerIdParam);
      const { asOf } = parseQuery(req, CreditBalanceQuery);
      res.json(
        asOf === undefined
          ? await creditBalance(deps, customerId, requestIdOf(req))
          : await creditBalanceAsOf(deps, customerId, asOf, requestIdOf(req)),
      );
    },
  );

  router.get(
    '/customers/:customerId/credit/entries',
    requireRole('storefront'),
    async (req: Request, res: Response<LedgerEntryList>) => {
      const { customerId } = parseParams(req, CustomerIdParam);
      const query = parseQuery(req, ListQuery);
      const cursor = decodeCursor(query.cursor, EntryCursor);
      const page = await ledgerEntries(deps, customerId, query.limit, cursor?.v ?? null, requestIdOf(req));
      res.json({
        data: page.data,
        nextCursor: page.nextVersion === null ? null : encodeCursor({ v: page.nextVersion }),
      });
    },
  );

  const movement =
    (kind: MovementKind) =>
    async (req: Request, res: Response): Promise<void> => {
      const { customerId } = parseParams(req, CustomerIdParam);
      const body = parseBody(req, CreditMovementRequest);
      const scope = idempotencyScope(req, body);
      const actor = actorOf(req);
      const approval = await approvalRoute(deps, scope, kind, customerId, body, actor);
      if (approval) {
        const answer = await requestCreditApproval(deps, {
          kind,
          customerId,
          body,
          scope,
          caller: actor,
          requestId: actor.requestId,
          previous: approval.previous,
        });
        sendAnswer(res, answer);
        return;
      }
      sendAnswer(res, await moveCredit(deps, scope, kind, customerId, body, actor));
    };
  router.post('/customers/:customerId/credit/grants', requireRole('support'), movement('grant'));
  router.post('/customers/:customerId/credit/deductions', requireRole('support'), movement('deduction'));
  return router;
}
