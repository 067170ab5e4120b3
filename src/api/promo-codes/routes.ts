/** Promo codes (admin): parse, run the use case (`src/app/promo-codes.ts`), send its answer. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  PromoCodeCreate,
  PromoCodeListQuery,
  PromoCodeParam,
  PromoCodePatch,
  type PromoCode,
  type PromoCodeDeleted,
  type PromoCodeList,
  type PromoCodeWithAudit,
} from '../../contracts/index.js';
import {
  changePromoCode,
  createPromoCode,
  listPromoCodes,
  promoCodeWithAudit,
  removePromoCode,
} from '../../app/promo-codes.js';
import { actorOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';

const Cursor = z.object({ t: z.string(), c: z.string() });

export function promoCodesRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/promo-codes', requireRole('admin'), async (req: Request, res: Response<PromoCode>) => {
    const promo = await createPromoCode(deps, parseBody(req, PromoCodeCreate), actorOf(req));
    res.status(201).set('Location', `/v1/promo-codes/${promo.code}`).json(promo);
  });

  router.get('/promo-codes', requireRole('admin'), async (req: Request, res: Response<PromoCodeList>) => {
    const q = parseQuery(req, PromoCodeListQuery);
    const cursor = decodeCursor(q.cursor, Cursor);
    const page = await listPromoCodes(deps, q.limit, cursor ? { createdAt: new Date(cursor.t), code: cursor.c } : null);
    const last = page.data[page.data.length - 1];
    res.json({
      data: page.data,
      nextCursor: page.hasMore && last ? encodeCursor({ t: last.createdAt, c: last.code }) : null,
    });
  });

  router.get('/promo-codes/:code', requireRole('admin'), async (req: Request, res: Response<PromoCodeWithAudit>) => {
    const { code } = parseParams(req, PromoCodeParam);
    res.json(await promoCodeWithAudit(deps, code));
  });

  router.patch('/promo-codes/:code', requireRole('admin'), async (req: Request, res: Response<PromoCode>) => {
    const { code } = parseParams(req, PromoCodeParam);
    const body = parseBody(req, PromoCodePatch);
    res.json(await changePromoCode(deps, code, body, actorOf(req)));
  });

  router.delete('/promo-codes/:code', requireRole('admin'), async (req: Request, res: Response<PromoCodeDeleted>) => {
    const { code } = parseParams(req, PromoCodeParam);
    res.json(await removePromoCode(deps, code, actorOf(req)));
  });

  return router;
}
