/**
 * Promo codes: admin changes with an audit row each, and the saga's reservation,
 * commit and release of a redemption. Reservations lock the code's row, so concurrent
 * purchases of one code serialise on it and its limits hold.
 */
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { DomainError } from '../domain/errors.js';
import { decidePromo, normalizeCode, type PromoRules, type PromoTerms } from '../domain/promo.js';
import type { Db, Executor } from './client.js';
import { newId } from '../domain/ids.js';
import { promoCodeAudit, promoCodes, promoRedemptions, type PromoCodeRow } from './schema.js';

interface Who {
  readonly actor: string;
  readonly requestId: string | null;
}

function snapshot(row: PromoCodeRow): Record<string, unknown> {
  return {
    ...row,
    startsAt: row.startsAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The column takes a mutable array; the terms hold a read-only one. */
const copyOf = (ids: readonly string[] | null): string[] | null => (ids === null ? null : [...ids]);

export function rulesOf(row: PromoCodeRow): PromoRules {
  return {
    code: row.code,
    kind: row.kind,
    percentOff: row.percentOff,
    amountOff: row.amountOff,
    currency: row.currency,
    startsAt: row.startsAt,
    expiresAt: row.expiresAt,
    maxRedemptions: row.maxRedemptions,
    maxRedemptionsPerCustomer: row.maxRedemptionsPerCustomer,
    minSubtotal: row.minSubtotal,
    productIds: row.productIds,
    active: row.active,
  };
}

export async function getPromo(db: Executor, code: string): Promise<PromoCodeRow | null> {
  const rows = await db
    .select()
    .from(promoCodes)
    .where(eq(promoCodes.code, normalizeCode(code)))
    .limit(1);
  return rows[0] ?? null;
}

export async function createPromo(db: Db, code: string, fields: PromoTerms, who: Who): Promise<PromoCodeRow> {
  assertWindow(fields);
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(promoCodes)
      .values({ code: normalizeCode(code), ...fields, productIds: copyOf(fields.productIds), createdBy: who.actor })
      .onConflictDoNothing()
      .returning();
    const row = inserted[0];
    if (!row)
      throw new DomainError('promo_code_exists', `A promo code "${normalizeCode(code)}" already exists.`, {
        code: normalizeCode(code),
      });
    await tx.insert(promoCodeAudit).values({
      id: newId('aud'),
      code: row.code,
      action: 'create',
      actor: who.actor,
      before: null,
      after: snapshot(row),
      requestId: who.requestId,
    });
    return row;
  });
}

/** A code whose window is empty could never be used: refused rather than stored. */
function assertWindow(rules: { readonly startsAt: Date | null; readonly expiresAt: Date | null }): void {
  if (rules.startsAt && rules.expiresAt && rules.startsAt >= rules.expiresAt) {
    throw new DomainError('promo_code_rules_invalid', 'expiresAt must be after startsAt.', { field: 'expiresAt' });
  }
}

export async function updatePromo(db: Db, code: string, patch: Partial<PromoTerms>, who: Who): Promise<PromoCodeRow> {
  return db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(promoCodes)
      .where(eq(promoCodes.code, normalizeCode(code)))
      .for('update')
      .limit(1);
    const before = locked[0];
    if (!before) throw new DomainError('promo_code_not_found', `No promo code "${normalizeCode(code)}".`);
    const merged = { ...rulesOf(before), ...patch };
    if (merged.kind === 'percent' && (merged.percentOff === null || merged.amountOff !== null)) {
      throw new DomainError('promo_code_rules_invalid', 'A percent code needs percentOff and no amountOff.', {
        field: 'percentOff',
      });
    }
    if (
      merged.kind === 'amount' &&
      (merged.amountOff === null || merged.currency === null || merged.percentOff !== null)
    ) {
      throw new DomainError(
        'promo_code_rules_invalid',
        'An amount code needs amountOff and currency and no percentOff.',
        { field: 'amountOff' },
      );
    }
    assertWindow(merged);
    if (merged.maxRedemptions !== null && merged.maxRedemptions < before.redemptions + before.reserved) {
      throw new DomainError(
        'promo_code_rules_invalid',
        `maxRedemptions cannot go below the ${before.redemptions + before.reserved} uses already made or in flight.`,
        { field: 'maxRedemptions' },
      );
    }
    const updated = await tx
      .update(promoCodes)
      .set({
        ...patch,
        productIds: patch.productIds === undefined ? undefined : copyOf(patch.productIds),
        updatedAt: sql`clock_timestamp()`,
      })
      .where(eq(promoCodes.code, before.code))
      .returning();
    const after = updated[0];
    if (!after) throw new Error('promo update returned no row');
    await tx.insert(promoCodeAudit).values({
      id: newId('aud'),
      code: after.code,
      action: patch.active === false && before.active ? 'deactivate' : 'update',
      actor: who.actor,
      before: snapshot(before),
      after: snapshot(after),
      requestId: who.requestId,
    });
    return after;
  });
}

/** Deletes a never-used code; deactivates a used one (its history stays). */
export async function deletePromo(db: Db, code: string, who: Who): Promise<{ deleted: boolean; row: PromoCodeRow }> {
  return db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(promoCodes)
      .where(eq(promoCodes.code, normalizeCode(code)))
      .for('update')
      .limit(1);
    const before = locked[0];
    if (!before) throw new DomainError('promo_code_not_found', `No promo code "${normalizeCode(code)}".`);
    const used = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(promoRedemptions)
      .where(eq(promoRedemptions.code, before.code));
    if ((used[0]?.n ?? 0) === 0) {
      await tx.delete(promoCodes).where(eq(promoCodes.code, before.code));
      await tx.insert(promoCodeAudit).values({
        id: newId('aud'),
        code: before.code,
        action: 'delete',
        actor: who.actor,
        before: snapshot(before),
        after: null,
        requestId: who.requestId,
      });
      return { deleted: true, row: before };
    }
    const updated = await tx
      .update(promoCodes)
      .set({ active: false, updatedAt: sql`clock_timestamp()` })
      .where(eq(promoCodes.code, before.code))
      .returning();
    const after = updated[0] ?? before;
    await tx.insert(promoCodeAudit).values({
      id: newId('aud'),
      code: before.code,
      action: 'deactivate',
      actor: who.actor,
      before: snapshot(before),
      after: snapshot(after),
      requestId: who.requestId,
    });
    return { deleted: false, row: after };
  });
}

export async function listPromos(
  db: Executor,
  limit: number,
  before: { createdAt: Date; code: string } | null,
): Promise<{ rows: PromoCodeRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(promoCodes)
    .where(
      before
        ? or(
            lt(promoCodes.createdAt, before.createdAt),
            and(eq(promoCodes.createdAt, before.createdAt), lt(promoCodes.code, before.code)),
          )
        : undefined,
    )
    .orderBy(desc(promoCodes.createdAt), desc(promoCodes.code))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function promoAudit(db: Executor, code: string): Promise<(typeof promoCodeAudit.$inferSelect)[]> {
  return db
    .select()
    .from(promoCodeAudit)
    .where(eq(promoCodeAudit.code, normalizeCode(code)))
    .orderBy(promoCodeAudit.createdAt);
}

export interface PromoReservation {
  readonly purchaseId: string;
  readonly code: string;
  readonly customerId: string;
  readonly productId: string;
  readonly subtotal: number;
  readonly currency: string;
}

/**
 * Reserves one redemption for a purchase (inside the caller's transaction, together with the
 * credit hold). Idempotent on the purchase id. Throws `promo_code_invalid` with a `reason`.
 */
export async function reservePromo(tx: Executor, r: PromoReservation): Promise<{ code: string; discount: number }> {
  const code = normalizeCode(r.code);
  const existing = await tx
    .select()
    .from(promoRedemptions)
    .where(eq(promoRedemptions.purchaseId, r.purchaseId))
    .limit(1);
  if (existing[0]) return { code: existing[0].code, discount: existing[0].discount };
  const locked = await tx.select().from(promoCodes).where(eq(promoCodes.code, code)).for('update').limit(1);
  const row = locked[0] ?? null;
  const byCustomer = row
    ? ((
        await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(promoRedemptions)
          .where(
            and(
              eq(promoRedemptions.code, code),
              eq(promoRedemptions.customerId, r.customerId),
              inArray(promoRedemptions.status, ['reserved', 'committed']),
            ),
          )
      )[0]?.n ?? 0)
    : 0;
  const decision = decidePromo(
    row ? rulesOf(row) : null,
    { total: row ? row.redemptions + row.reserved : 0, byCustomer },
    {
      productId: r.productId,
      subtotal: r.subtotal,
      currency: r.currency,
      at: new Date(),
    },
  );
  if (!decision.ok)
    throw new DomainError('promo_code_invalid', decision.detail, { reason: decision.reason, promoCode: code });
  await tx.insert(promoRedemptions).values({
    purchaseId: r.purchaseId,
    code,
    customerId: r.customerId,
    discount: decision.discount,
    currency: r.currency,
  });
  await tx
    .update(promoCodes)
    .set({ reserved: sql`${promoCodes.reserved} + 1` })
    .where(eq(promoCodes.code, code));
  return { code, discount: decision.discount };
}

/** reserved → committed (inside the commit transaction). */
export async function commitPromo(tx: Executor, purchaseId: string): Promise<void> {
  const moved = await tx
    .update(promoRedemptions)
    .set({ status: 'committed', resolvedAt: sql`clock_timestamp()` })
    .where(and(eq(promoRedemptions.purchaseId, purchaseId), eq(promoRedemptions.status, 'reserved')))
    .returning();
  const r = moved[0];
  if (r)
    await tx
      .update(promoCodes)
      .set({ reserved: sql`${promoCodes.reserved} - 1`, redemptions: sql`${promoCodes.redemptions} + 1` })
      .where(eq(promoCodes.code, r.code));
}

/** reserved → released (compensation). */
export async function releasePromo(tx: Executor, purchaseId: string): Promise<void> {
  const moved = await tx
    .update(promoRedemptions)
    .set({ status: 'released', resolvedAt: sql`clock_timestamp()` })
    .where(and(eq(promoRedemptions.purchaseId, purchaseId), eq(promoRedemptions.status, 'reserved')))
    .returning();
  const r = moved[0];
  if (r)
    await tx
      .update(promoCodes)
      .set({ reserved: sql`${promoCodes.reserved} - 1` })
      .where(eq(promoCodes.code, r.code));
}
