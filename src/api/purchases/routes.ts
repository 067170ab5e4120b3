/**
 * Purchases, attempts and refunds: parse, run the use case
 * (`src/app/purchases.ts`, `src/app/refunds.ts`), send its answer.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AttemptIdParam,
  PurchaseIdParam,
  PurchaseListQuery,
  PurchaseRequest,
  RefundRequest,
  ListQuery,
  type PurchaseAttempt,
  type PurchaseList,
  type PurchaseWithRefunds,
  type RefundList,
} from '../../contracts/index.js';
import { attemptStatus, purchase, purchasesPage, purchaseWithRefunds, refundsOf } from '../../app/purchases.js';
import { refund } from '../../app/refunds.js';
import { actorOf, requireRole } from '../auth.js';
import { normalizeCode } from '../../domain/promo.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { idempotencyScope } from '../idempotency.js';
import { sendAnswer } from '../respond.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';

const PurchaseCursor = z.object({ t: z.string(), id: z.string() });

export function purchasesRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/purchases', requireRole('storefront'), async (req: Request, res: Response) => {
    const body = parseBody(req, PurchaseRequest);
    sendAnswer(res, await purchase(deps, idempotencyScope(req, body), body, actorOf(req)));
  });

  router.get('/purchases', requireRole('storefront'), async (req: Request, res: Response<PurchaseList>) => {
    const query = parseQuery(req, PurchaseListQuery);
    const cursor = decodeCursor(query.cursor, PurchaseCursor);
    const page = await purchasesPage(deps, {
      purchaseId: query.purchaseId,
      shipmentId: query.shipmentId,
      promoCode: query.promoCode ? normalizeCode(query.promoCode) : undefined,
      customerId: query.customerId,
      productId: query.productId,
      status: query.status,
      createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
      createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
      before: cursor ? { createdAt: new Date(cursor.t), id: cursor.id } : null,
      limit: query.limit,
    });
    const last = page.data[page.data.length - 1];
    res.json({
      data: page.data,
      nextCursor: page.hasMore && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null,
    });
  });

  router.get(
    '/purchases/:purchaseId',
    requireRole('storefront'),
    async (req: Request, res: Response<PurchaseWithRefunds>) => {
      const { purchaseId } = parseParams(req, PurchaseIdParam);
      res.json(await purchaseWithRefunds(deps, purchaseId));
    },
  );

  router.get(
    '/purchase-attempts/:attemptId',
    requireRole('storefront'),
    async (req: Request, res: Response<PurchaseAttempt>) => {
      const { attemptId } = parseParams(req, AttemptIdParam);
      res.json(await attemptStatus(deps, attemptId));
    },
  );

  router.post('/purchases/:purchaseId/refunds', requireRole('support'), async (req: Request, res: Response) => {
    const { purchaseId } = parseParams(req, PurchaseIdParam);
    const body = parseBody(req, RefundRequest);
    sendAnswer(res, await refund(deps, idempotencyScope(req, body), purchaseId, body, actorOf(req)));
  });

  router.get(
    '/purchases/:purchaseId/refunds',
    requireRole('storefront'),
    async (req: Request, res: Response<RefundList>) => {
      const { purchaseId } = parseParams(req, PurchaseIdParam);
      parseQuery(req, ListQuery);
      // A purchase has a handful of refunds at most (each needs a refundable remainder): one page.
      res.json({ data: await refundsOf(deps, purchaseId), nextCursor: null });
    },
  );

  return router;
}
