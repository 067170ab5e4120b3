/**
 * Purchase attempts for customer service (docs/api.md):
 * `GET /v1/purchase-attempts` (support) and `POST /v1/purchase-attempts/{id}/cancel` (admin).
 * The single attempt (`GET /v1/purchase-attempts/{id}`, storefront) lives with purchases.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AttemptIdParam,
  CancelAttemptRequest,
  PurchaseAttemptListQuery,
  type PurchaseAttemptList,
  type PurchaseAttemptSummary,
} from '../../contracts/index.js';
import { cancelPurchaseAttempt, listPurchaseAttempts } from '../../app/purchase-attempts.js';
import { callerOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';

const AttemptCursor = z.object({ t: z.iso.datetime(), id: z.string().max(64) });

export function purchaseAttemptsRouter(deps: ApiDeps): Router {
  const router = Router();
  const attempts = { db: deps.database.db, temporal: deps.temporal };

  router.get('/purchase-attempts', requireRole('support'), async (req: Request, res: Response<PurchaseAttemptList>) => {
    const query = parseQuery(req, PurchaseAttemptListQuery);
    const cursor = decodeCursor(query.cursor, AttemptCursor);
    const page = await listPurchaseAttempts(attempts, {
      customerId: query.customerId,
      status: query.status,
      createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
      createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
      before: cursor ? { createdAt: cursor.t, id: cursor.id } : null,
      limit: query.limit,
    });
    res.json({
      data: page.data,
      nextCursor: page.next ? encodeCursor({ t: page.next.createdAt, id: page.next.id }) : null,
    });
  });

  router.post(
    '/purchase-attempts/:attemptId/cancel',
    requireRole('admin'),
    async (req: Request, res: Response<PurchaseAttemptSummary>) => {
      const { attemptId } = parseParams(req, AttemptIdParam);
      const body = parseBody(req, CancelAttemptRequest);
      const { attempt, ended } = await cancelPurchaseAttempt(attempts, {
        attemptId,
        reason: body.reason,
        actor: callerOf(req).name,
        waitMs: deps.config.purchaseSyncTimeoutMs,
      });
      if (!ended) res.status(202).set('Location', `/v1/purchase-attempts/${attemptId}`).set('Retry-After', '1');
      res.json(attempt);
    },
  );

  return router;
}
