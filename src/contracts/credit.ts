/** Credit balances, grants, deductions and ledger entries. */
import { z } from 'zod';
import { Amount, Currency, ExternalId, NonNegativeAmount, Note, SignedAmount, Timestamp, listOf } from './common.js';
import { whenField, withRules } from './rules.js';

export const CreditReason = z
  .enum(['goodwill', 'promotion', 'correction', 'compensation', 'migration', 'other'])
  .meta({ id: 'CreditReason' });
export type CreditReason = z.infer<typeof CreditReason>;

export const EntryType = z.enum(['grant', 'deduction', 'purchase', 'refund']).meta({ id: 'EntryType' });
export type EntryType = z.infer<typeof EntryType>;

export const CustomerIdParam = z.object({
  customerId: ExternalId.meta({ description: "The platform's customer id", example: 'cus_ada' }),
});
export type CustomerIdParam = z.infer<typeof CustomerIdParam>;

export const CreditBalance = z
  .object({
    customerId: z.string(),
    currency: Currency,
    balance: NonNegativeAmount.meta({ description: 'Posted balance: the sum of all entries' }),
    held: NonNegativeAmount.meta({ description: 'Reserved by purchases still running' }),
    available: NonNegativeAmount.meta({ description: 'balance - held: what can be spent now' }),
    updatedAt: Timestamp.nullable().meta({
      description:
        'Time of the last change; null for a customer with no history. With `asOf`: the time of the last entry at or before it',
    }),
    asOf: Timestamp.optional().meta({
      description: 'Present when the balance was asked for an instant (`?asOf=`): that instant',
    }),
  })
  .meta({ id: 'CreditBalance' });
export type CreditBalance = z.infer<typeof CreditBalance>;

export const CreditMovementRequest = withRules(
  z.strictObject({
    amount: Amount,
    currency: Currency,
    reason: CreditReason,
    note: Note.optional(),
  }),
  [
    whenField('reason', ['other', 'correction'], {
      required: ['note'],
      message: 'a note is required when reason is "other" or "correction"',
    }),
  ],
  {
    id: 'CreditMovementRequest',
    description: 'A grant or a deduction; `note` is required for reasons `other` and `correction`',
  },
);
export type CreditMovementRequest = z.infer<typeof CreditMovementRequest>;

export const LedgerEntry = z
  .object({
    id: z.string().meta({ example: 'ent_01JDQ8X4N2V7W3K5M9P0R1S2T3' }),
    customerId: z.string(),
    type: EntryType,
    amount: SignedAmount,
    currency: Currency,
    balanceAfter: NonNegativeAmount.meta({ description: 'Posted balance right after this entry' }),
    reason: z
      .string()
      .meta({ description: 'A CreditReason for grants and deductions; purchase / refund reason codes otherwise' }),
    note: z.string().nullable(),
    actor: z.string().meta({
      description:
        'Name of the token (or system component) that caused the entry; for an approved change, the requester',
    }),
    approvedBy: z.string().nullable().meta({
      description: 'The admin who approved a large support grant or deduction (maker–checker); null otherwise',
    }),
    purchaseId: z.string().nullable(),
    refundId: z.string().nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'LedgerEntry', description: 'An immutable journal entry; corrections are new entries' });
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const CreditMovementResponse = z
  .object({ entry: LedgerEntry, credit: CreditBalance })
  .meta({ id: 'CreditMovementResponse' });
export type CreditMovementResponse = z.infer<typeof CreditMovementResponse>;

export const LedgerEntryList = listOf(LedgerEntry, 'LedgerEntryList');
export type LedgerEntryList = z.infer<typeof LedgerEntryList>;
