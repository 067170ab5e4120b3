/** Promo codes (admin). */
import { z } from 'zod';
import {
  Amount,
  Currency,
  ExternalId,
  ListQuery,
  MAX_AMOUNT,
  NonNegativeAmount,
  Timestamp,
  instant,
  listOf,
} from './common.js';
import { notEmpty, whenField, withRules } from './rules.js';

export const PromoCodeName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{3,32}$/, '3–32 letters, digits, _ or -')
  .meta({ description: 'Case-insensitive; stored upper-case', example: 'WELCOME10' });

/** A count of redemptions: at most what the database column holds. */
const RedemptionLimit = z.number().int().positive().max(2_147_483_647);

const ruleFields = {
  percentOff: z
    .number()
    .int()
    .min(1)
    .max(100)
    .nullable()
    .optional()
    .meta({ description: 'For kind percent: 1–100. Discount = floor(subtotal × percentOff / 100)' }),
  amountOff: Amount.nullable().optional().meta({ description: 'For kind amount: minor units, in `currency`' }),
  currency: Currency.nullable()
    .optional()
    .meta({ description: 'Required for kind amount; must match the purchase currency' }),
  startsAt: instant('Start of the validity window (inclusive); null or absent: from the start.').nullable().optional(),
  expiresAt: instant('End of the validity window (exclusive); null or absent: no end.').nullable().optional(),
  maxRedemptions: RedemptionLimit.nullable().optional(),
  maxRedemptionsPerCustomer: RedemptionLimit.nullable().optional(),
  minSubtotal: NonNegativeAmount.max(MAX_AMOUNT).nullable().optional(),
  productIds: z
    .array(ExternalId)
    .max(100)
    .nullable()
    .optional()
    .meta({ description: 'Only these products; null or absent: any product' }),
  active: z.boolean().optional(),
};

export const PromoCodeCreate = withRules(
  z.strictObject({
    code: PromoCodeName,
    kind: z.enum(['percent', 'amount']),
    ...ruleFields,
  }),
  [
    whenField('kind', ['percent'], {
      required: ['percentOff'],
      forbidden: ['amountOff'],
      message: 'a percent code needs percentOff (and no amountOff)',
    }),
    whenField('kind', ['amount'], {
      required: ['amountOff', 'currency'],
      forbidden: ['percentOff'],
      message: 'an amount code needs amountOff and currency (and no percentOff)',
    }),
  ],
  {
    id: 'PromoCodeCreate',
    description:
      'A validity window that is empty (`expiresAt` not after `startsAt`) is refused with 422 `promo_code_rules_invalid`: JSON Schema cannot compare two dates.',
  },
);
export type PromoCodeCreate = z.infer<typeof PromoCodeCreate>;

export const PromoCodePatch = withRules(
  z.strictObject({
    kind: z.enum(['percent', 'amount']).optional(),
    ...ruleFields,
  }),
  [notEmpty('send at least one field')],
  {
    id: 'PromoCodePatch',
    description:
      'At least one field. The merged rules must hold (a percent code has percentOff and no amountOff; an amount code amountOff and currency; the window not empty; maxRedemptions not below the uses so far), else 422 `promo_code_rules_invalid`.',
  },
);
export type PromoCodePatch = z.infer<typeof PromoCodePatch>;

export const PromoCode = z
  .object({
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
  })
  .meta({ id: 'PromoCode' });
export type PromoCode = z.infer<typeof PromoCode>;

export const PromoCodeAuditEntry = z
  .object({
    id: z.string(),
    action: z.enum(['create', 'update', 'deactivate', 'delete']),
    actor: z.string(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'PromoCodeAuditEntry' });
export type PromoCodeAuditEntry = z.infer<typeof PromoCodeAuditEntry>;

export const PromoCodeWithAudit = PromoCode.extend({ audit: z.array(PromoCodeAuditEntry) }).meta({
  id: 'PromoCodeWithAudit',
});
export type PromoCodeWithAudit = z.infer<typeof PromoCodeWithAudit>;

export const PromoCodeList = listOf(PromoCode, 'PromoCodeList');
export type PromoCodeList = z.infer<typeof PromoCodeList>;
export const PromoCodeListQuery = ListQuery.strict();
export const PromoCodeParam = z.object({ code: PromoCodeName });

export const PromoCodeDeleted = z
  .object({
    code: z.string(),
    deleted: z.boolean().meta({ description: 'true: removed (never used); false: deactivated, history kept' }),
    promoCode: PromoCode,
  })
  .meta({ id: 'PromoCodeDeleted' });
export type PromoCodeDeleted = z.infer<typeof PromoCodeDeleted>;
