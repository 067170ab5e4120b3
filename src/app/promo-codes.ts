/**
 * Promo codes (admin): create, list, read with the audit trail, change, delete or deactivate.
 * Every change writes an audit row (src/db/promo-repository.ts).
 */
import type {
  PromoCode,
  PromoCodeCreate,
  PromoCodeDeleted,
  PromoCodePatch,
  PromoCodeWithAudit,
} from '../contracts/index.js';
import { createPromo, deletePromo, getPromo, listPromos, promoAudit, updatePromo } from '../db/promo-repository.js';
import type { PromoCodeAuditRow, PromoCodeRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import type { PromoTerms } from '../domain/promo.js';
import type { Actor, AppDeps } from './deps.js';

export function toPromoCode(row: PromoCodeRow): PromoCode {
  return {
    code: row.code,
    kind: row.kind,
    percentOff: row.percentOff,
    amountOff: row.amountOff,
    currency: row.currency,
    startsAt: row.startsAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    maxRedemptions: row.maxRedemptions,
    maxRedemptionsPerCustomer: row.maxRedemptionsPerCustomer,
    minSubtotal: row.minSubtotal,
    productIds: row.productIds,
    active: row.active,
    redemptions: row.redemptions,
    reserved: row.reserved,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toAudit(row: PromoCodeAuditRow): PromoCodeWithAudit['audit'][number] {
  return {
    id: row.id,
    action: row.action,
    actor: row.actor,
    before: (row.before ?? null) as Record<string, unknown> | null,
    after: (row.after ?? null) as Record<string, unknown> | null,
    createdAt: row.createdAt.toISOString(),
  };
}

const date = (v: string | null | undefined): Date | null | undefined =>
  v === undefined ? undefined : v === null ? null : new Date(v);

/** Only the fields present in the request; `undefined` means "leave as is". */
function fieldsOf(body: PromoCodePatch): Partial<PromoTerms> {
  const out: { -readonly [K in keyof PromoTerms]?: PromoTerms[K] } = {};
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

const who = (actor: Actor): { actor: string; requestId: string } => ({ actor: actor.name, requestId: actor.requestId });

export async function createPromoCode(deps: AppDeps, body: PromoCodeCreate, actor: Actor): Promise<PromoCode> {
  const row = await createPromo(
    deps.database.db,
    body.code,
    {
      kind: body.kind,
      percentOff: body.percentOff ?? null,
      amountOff: body.amountOff ?? null,
      currency: body.currency ?? null,
      startsAt: date(body.startsAt) ?? null,
      expiresAt: date(body.expiresAt) ?? null,
      maxRedemptions: body.maxRedemptions ?? null,
      maxRedemptionsPerCustomer: body.maxRedemptionsPerCustomer ?? null,
      minSubtotal: body.minSubtotal ?? null,
      productIds: body.productIds ?? null,
      active: body.active ?? true,
    },
    who(actor),
  );
  return toPromoCode(row);
}

export interface PromoCodePage {
  readonly data: PromoCode[];
  readonly hasMore: boolean;
}

export async function listPromoCodes(
  deps: AppDeps,
  limit: number,
  before: { createdAt: Date; code: string } | null,
): Promise<PromoCodePage> {
  const page = await listPromos(deps.database.db, limit, before);
  return { data: page.rows.map(toPromoCode), hasMore: page.hasMore };
}

export async function promoCodeWithAudit(deps: AppDeps, code: string): Promise<PromoCodeWithAudit> {
  const row = await getPromo(deps.database.db, code);
  if (!row) throw new DomainError('promo_code_not_found', `No promo code "${code.toUpperCase()}".`);
  return { ...toPromoCode(row), audit: (await promoAudit(deps.database.db, row.code)).map(toAudit) };
}

export async function changePromoCode(
  deps: AppDeps,
  code: string,
  patch: PromoCodePatch,
  actor: Actor,
): Promise<PromoCode> {
  return toPromoCode(await updatePromo(deps.database.db, code, fieldsOf(patch), who(actor)));
}

export async function removePromoCode(deps: AppDeps, code: string, actor: Actor): Promise<PromoCodeDeleted> {
  const result = await deletePromo(deps.database.db, code, who(actor));
  return { code: result.row.code, deleted: result.deleted, promoCode: toPromoCode(result.row) };
}
