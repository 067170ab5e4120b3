/** Promo codes (admin): create, list, read with its audit trail, change, delete or deactivate. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  PromoCodeCreate, PromoCodeListQuery, PromoCodeParam, PromoCodePatch,
  type PromoCode, type PromoCodeDeleted, type PromoCodeList, type PromoCodeWithAudit,
} from '../../contracts/index.js';
import { createPromo, deletePromo, getPromo, listPromos, promoAudit, updatePromo, type PromoFields } from '../../db/promo-repository.js';
import type { PromoCodeAuditRow, PromoCodeRow } from '../../db/schema.js';
import { DomainError } from '../../domain/errors.js';
import { callerOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';

const Cursor = z.object({ t: z.string(), c: z.string() });

export function toPromoCode(row: PromoCodeRow): PromoCode {
  return {
    code: row.code, kind: row.kind, percentOff: row.percentOff, amountOff: row.amountOff, currency: row.currency,
    startsAt: row.startsAt?.toISOString() ?? null, expiresAt: row.expiresAt?.toISOString() ?? null,
    maxRedemptions: row.maxRedemptions, maxRedemptionsPerCustomer: row.maxRedemptionsPerCustomer, minSubtotal: row.minSubtotal,
    productIds: row.productIds, active: row.active, redemptions: row.redemptions, reserved: row.reserved,
    createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
  };
}

function toAudit(row: PromoCodeAuditRow): PromoCodeWithAudit['audit'][number] {
  return {
    id: row.id, action: row.action, actor: row.actor,
    before: (row.before ?? null) as Record<string, unknown> | null, after: (row.after ?? null) as Record<string, unknown> | null,
    createdAt: row.createdAt.toISOString(),
  };
}

const date = (v: string | null | undefined): Date | null | undefined => (v === undefined ? undefined : v === null ? null : new Date(v));

/** Only the fields present in the request; `undefined` means "leave as is". */
function fieldsOf(body: PromoCodePatch): Partial<PromoFields> {
  const out: { -readonly [K in keyof PromoFields]?: PromoFields[K] } = {};
  if (body.kind !== undefined) out.kind = body.kind;
  if (body.percentOff !== undefined) out.percentOff = body.percentOff;
  if (body.amountOff !== undefined) out.amountOff = body.amountOff;
  if (body.currency !== undefined) out.currency = body.currency;
  const startsAt = date(body.startsAt);
  if (startsAt !== undefined) out.startsAt = startsAt;
  const expiresAt = date(body.expiresAt);
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  if (body.maxRedemptions !== undefined) out.maxRedemptions = body.maxRedemptions;
  if (body.maxRedemptionsPerCustomer !== undefined) out.maxRedemptionsPerCustomer = body.maxRedemptionsPerCustomer;
  if (body.minSubtotal !== undefined) out.minSubtotal = body.minSubtotal;
  if (body.productIds !== undefined) out.productIds = body.productIds;
  if (body.active !== undefined) out.active = body.active;
  return out;
}

export function promoCodesRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;
  const who = (req: Request): { actor: string; requestId: string } => ({ actor: callerOf(req).name, requestId: requestIdOf(req) });

  router.post('/promo-codes', requireRole('admin'), async (req: Request, res: Response<PromoCode>) => {
    const body = parseBody(req, PromoCodeCreate);
    const row = await createPromo(db, body.code, {
      kind: body.kind, percentOff: body.percentOff ?? null, amountOff: body.amountOff ?? null, currency: body.currency ?? null,
      startsAt: date(body.startsAt) ?? null, expiresAt: date(body.expiresAt) ?? null, maxRedemptions: body.maxRedemptions ?? null,
      maxRedemptionsPerCustomer: body.maxRedemptionsPerCustomer ?? null, minSubtotal: body.minSubtotal ?? null,
      productIds: body.productIds ?? null, active: body.active ?? true,
    }, who(req));
    res.status(201).set('Location', `/v1/promo-codes/${row.code}`).json(toPromoCode(row));
  });

  router.get('/promo-codes', requireRole('admin'), async (req: Request, res: Response<PromoCodeList>) => {
    const q = parseQuery(req, PromoCodeListQuery);
    const cursor = decodeCursor(q.cursor, Cursor);
    const page = await listPromos(db, q.limit, cursor ? { createdAt: new Date(cursor.t), code: cursor.c } : null);
    const last = page.rows[page.rows.length - 1];
    res.json({ data: page.rows.map(toPromoCode), nextCursor: page.hasMore && last ? encodeCursor({ t: last.createdAt.toISOString(), c: last.code }) : null });
  });

  router.get('/promo-codes/:code', requireRole('admin'), async (req: Request, res: Response<PromoCodeWithAudit>) => {
    const { code } = parseParams(req, PromoCodeParam);
    const row = await getPromo(db, code);
    if (!row) throw new DomainError('promo_code_not_found', `No promo code "${code.toUpperCase()}".`);
    res.json({ ...toPromoCode(row), audit: (await promoAudit(db, row.code)).map(toAudit) });
  });

  router.patch('/promo-codes/:code', requireRole('admin'), async (req: Request, res: Response<PromoCode>) => {
    const { code } = parseParams(req, PromoCodeParam);
    const body = parseBody(req, PromoCodePatch);
    res.json(toPromoCode(await updatePromo(db, code, fieldsOf(body), who(req))));
  });

  router.delete('/promo-codes/:code', requireRole('admin'), async (req: Request, res: Response<PromoCodeDeleted>) => {
    const { code } = parseParams(req, PromoCodeParam);
    const result = await deletePromo(db, code, who(req));
    res.json({ code: result.row.code, deleted: result.deleted, promoCode: toPromoCode(result.row) });
  });

  return router;
}
