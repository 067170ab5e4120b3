/** Promo codes (admin). */
import { z } from 'zod';
import { Amount, Currency, ExternalId, ListQuery, NonNegativeAmount, Timestamp, listOf } from './common.js';

export const PromoCodeName = z.string().trim().regex(/^[A-Za-z0-9_-]{3,32}$/, '3–32 letters, digits, _ or -')
  .meta({ description: 'Case-insensitive; stored upper-case', example: 'WELCOME10' });

const ruleFields = {
  percentOff: z.number().int().min(1).max(100).nullable().optional().meta({ description: 'For kind percent: 1–100. Discount = floor(subtotal × percentOff / 100)' }),
  amountOff: Amount.nullable().optional().meta({ description: 'For kind amount: minor units, in `currency`' }),
  currency: Currency.nullable().optional().meta({ description: 'Required for kind amount; must match the purchase currency' }),
  startsAt: z.iso.datetime({ offset: true }).nullable().optional(),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional().meta({ description: 'Exclusive' }),
  maxRedemptions: z.number().int().positive().nullable().optional(),
  maxRedemptionsPerCustomer: z.number().int().positive().nullable().optional(),
  minSubtotal: NonNegativeAmount.nullable().optional(),
  productIds: z.array(ExternalId).max(100).nullable().optional().meta({ description: 'Only these products; null or absent: any product' }),
  active: z.boolean().optional(),
};

export const PromoCodeCreate = z.strictObject({
  code: PromoCodeName,
  kind: z.enum(['percent', 'amount']),
  ...ruleFields,
}).superRefine((v, ctx) => {
  if (v.kind === 'percent' && (v.percentOff == null || v.amountOff != null)) ctx.addIssue({ code: 'custom', path: ['percentOff'], message: 'a percent code needs percentOff (and no amountOff)' });
  if (v.kind === 'amount' && (v.amountOff == null || v.currency == null || v.percentOff != null)) ctx.addIssue({ code: 'custom', path: ['amountOff'], message: 'an amount code needs amountOff and currency (and no percentOff)' });
  if (v.startsAt && v.expiresAt && Date.parse(v.startsAt) >= Date.parse(v.expiresAt)) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after startsAt' });
}).meta({ id: 'PromoCodeCreate' });
export type PromoCodeCreate = z.infer<typeof PromoCodeCreate>;

export const PromoCodePatch = z.strictObject({
  kind: z.enum(['percent', 'amount']).optional(),
  ...ruleFields,
}).refine((v) => Object.keys(v).length > 0, 'send at least one field').meta({ id: 'PromoCodePatch' });
export type PromoCodePatch = z.infer<typeof PromoCodePatch>;

export const PromoCode = z.object({
  code: z.string(),
  kind: z.enum(['percent', 'amount']),
  percentOff: z.number().int().nullable(),
  amountOff: z.number().int().nullable(),
  currency: z.string().nullable(),
  startsAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
  maxRedemptions: z.number().int().nullable(),
  maxRedemptionsPerCustomer: z.number().int().nullable(),
  minSubtotal: z.number().int().nullable(),
  productIds: z.array(z.string()).nullable(),
  active: z.boolean(),
  redemptions: z.number().int().meta({ description: 'Committed uses' }),
  reserved: z.number().int().meta({ description: 'Uses held by purchases still running' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}).meta({ id: 'PromoCode' });
export type PromoCode = z.infer<typeof PromoCode>;

export const PromoCodeAuditEntry = z.object({
  id: z.string(),
  action: z.enum(['create', 'update', 'deactivate', 'delete']),
  actor: z.string(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  createdAt: Timestamp,
}).meta({ id: 'PromoCodeAuditEntry' });
export type PromoCodeAuditEntry = z.infer<typeof PromoCodeAuditEntry>;

export const PromoCodeWithAudit = PromoCode.extend({ audit: z.array(PromoCodeAuditEntry) }).meta({ id: 'PromoCodeWithAudit' });
export type PromoCodeWithAudit = z.infer<typeof PromoCodeWithAudit>;

export const PromoCodeList = listOf(PromoCode, 'PromoCodeList');
export type PromoCodeList = z.infer<typeof PromoCodeList>;
export const PromoCodeListQuery = ListQuery.strict();
export const PromoCodeParam = z.object({ code: PromoCodeName });

export const PromoCodeDeleted = z.object({
  code: z.string(),
  deleted: z.boolean().meta({ description: 'true: removed (never used); false: deactivated, history kept' }),
  promoCode: PromoCode,
}).meta({ id: 'PromoCodeDeleted' });
export type PromoCodeDeleted = z.infer<typeof PromoCodeDeleted>;
