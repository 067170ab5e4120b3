/** Audit: balances at an instant, statements, the finance export and the ledger's verification. */
import { z } from 'zod';
import { Currency, NonNegativeAmount, SignedAmount, Timestamp, instant } from './common.js';
import { EntryType, LedgerEntry } from './credit.js';

export const CreditBalanceQuery = z.object({
  asOf: instant(
    'The balance as it was at this instant: entries created at or before it, holds created at or before it and not resolved by then. In the future → 400 `instant_in_future`.',
  ).optional(),
});
export type CreditBalanceQuery = z.infer<typeof CreditBalanceQuery>;

/**
 * The period (from, to]. That `to` is after `from` is not checked here: JSON Schema cannot
 * compare two instants, so the document cannot state it, and the route answers a period that
 * ends before it starts with 422 `statement_period_invalid` (see `assertPeriod` in
 * src/domain/audit.ts).
 */
export const StatementQuery = z.object({
  from: instant(
    'Start of the period, exclusive: the opening balance is the balance as of this instant. In the future → 400 `instant_in_future`.',
  ),
  to: instant(
    'End of the period, inclusive: the closing balance is the balance as of this instant; default now. Must be after `from`, else 422 `statement_period_invalid`. In the future → 400 `instant_in_future`.',
  ).optional(),
});
export type StatementQuery = z.infer<typeof StatementQuery>;

export const StatementTotals = z
  .object({
    grant: SignedAmount,
    deduction: SignedAmount,
    purchase: SignedAmount,
    refund: SignedAmount,
  })
  .meta({
    id: 'StatementTotals',
    description: "Sum of the signed amounts of the period's entries, by entry type (debits negative)",
  });
export type StatementTotals = z.infer<typeof StatementTotals>;

export const Statement = z
  .object({
    customerId: z.string(),
    currency: Currency,
    from: Timestamp.meta({ description: 'Start of the period (exclusive), as asked' }),
    to: Timestamp.meta({ description: 'End of the period (inclusive), as asked or the time of the request' }),
    openingBalance: NonNegativeAmount.meta({ description: 'Balance as of `from`' }),
    closingBalance: NonNegativeAmount.meta({
      description: 'Balance as of `to`; always openingBalance + Σ entries[].amount',
    }),
    totals: StatementTotals,
    totalsByReason: z
      .record(z.string(), SignedAmount)
      .meta({ description: 'Sum of the signed amounts by entry reason (goodwill, correction, …)' }),
    entryCount: z.number().int().nonnegative(),
    entries: z.array(LedgerEntry).meta({ description: "The period's entries, oldest first" }),
  })
  .meta({
    id: 'Statement',
    description: 'An account statement for the period (from, to]: opening balance, entries, totals and closing balance',
  });
export type Statement = z.infer<typeof Statement>;

export const ExportQuery = z.object({
  from: instant(
    'Entries created after this instant (exclusive); default: from the first entry. In the future → 400 `instant_in_future`.',
  ).optional(),
  to: instant(
    'Entries created at or before this instant (inclusive); default: now. Export a period that has ended: an entry is visible once its transaction commits, a few milliseconds after its created_at. In the future → 400 `instant_in_future`.',
  ).optional(),
  afterId: z
    .string()
    .regex(/^ent_[0-9A-HJKMNP-TV-Z]{26}$/, 'an entry id (ent_…)')
    .optional()
    .meta({ description: 'Resume after this entry (the last one received): the export is ordered by (createdAt, id)' }),
  format: z.enum(['ndjson', 'csv']).optional().meta({
    description: 'Overrides the Accept header: `ndjson` (application/x-ndjson, the default) or `csv` (text/csv)',
  }),
});
export type ExportQuery = z.infer<typeof ExportQuery>;

export const ExportedEntry = z
  .object({
    id: z.string(),
    customerId: z.string(),
    accountVersion: z
      .number()
      .int()
      .positive()
      .meta({ description: 'Position of the entry in its account: 1, 2, 3 … without gaps' }),
    type: EntryType,
    amount: SignedAmount,
    currency: Currency,
    balanceAfter: NonNegativeAmount,
    reason: z.string(),
    note: z.string().nullable(),
    actor: z.string(),
    approvedBy: z
      .string()
      .nullable()
      .meta({ description: 'The admin who approved the entry (maker–checker), or null' }),
    purchaseId: z.string().nullable(),
    refundId: z.string().nullable(),
    workflowId: z.string().nullable(),
    requestId: z.string().nullable(),
    idempotencyKey: z.string(),
    createdAt: Timestamp.meta({
      description: 'UTC with microseconds, YYYY-MM-DDTHH:MM:SS.ffffffZ (the precision the hash chain uses)',
    }),
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .meta({
        description:
          "The entry's link in its account's hash chain; with every other field here, anyone can recompute it",
      }),
  })
  .meta({
    id: 'ExportedEntry',
    description: 'One line of the finance export (NDJSON); the CSV has the same columns in this order',
  });
export type ExportedEntry = z.infer<typeof ExportedEntry>;

export const VERIFY_FINDING_KINDS = [
  'hash_mismatch',
  'version_gap',
  'balance_chain_broken',
  'head_mismatch',
  'checkpoint_mismatch',
  'checkpoint_signature_invalid',
] as const;
export const VerifyFindingKind = z.enum(VERIFY_FINDING_KINDS).meta({
  id: 'VerifyFindingKind',
  description: [
    '`hash_mismatch`: the stored hash is not SHA-256(previous hash ‖ canonical fields) — this entry or the one before it was changed, removed or inserted.',
    "`version_gap`: the entry's account_version is not the previous one + 1 (an entry removed or moved).",
    '`balance_chain_broken`: balance_after ≠ the previous balance_after + amount.',
    "`head_mismatch`: the account row's version or balance is not the last entry's (entries removed or added at the end); entryId is the last entry, or null.",
    "`checkpoint_mismatch`: the account's chain no longer has the hash a signed checkpoint recorded at that version (the history before the checkpoint was rewritten).",
    "`checkpoint_signature_invalid`: a checkpoint row's signature does not verify with the configured key (checkpoint forged or altered).",
  ].join(' '),
});
export type VerifyFindingKind = z.infer<typeof VerifyFindingKind>;

export const VerifyFinding = z
  .object({
    customerId: z.string(),
    entryId: z
      .string()
      .nullable()
      .meta({ description: 'The first broken entry of the account (null when the account has no entry left)' }),
    kind: VerifyFindingKind,
    accountVersion: z.number().int().nullable().meta({ description: "Where in the account's chain the break is" }),
    detail: z.string(),
  })
  .meta({ id: 'VerifyFinding' });
export type VerifyFinding = z.infer<typeof VerifyFinding>;

export const VerifyResult = z
  .object({
    accountsChecked: z.number().int().nonnegative(),
    entriesChecked: z.number().int().nonnegative(),
    checkpointsChecked: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: 'Signed head-hash checkpoints compared with the chain' }),
    findings: z.array(VerifyFinding).meta({
      description:
        'At most one entry per account: the first broken one, with every kind of break found there; empty for an intact ledger',
    }),
  })
  .meta({ id: 'VerifyResult' });
export type VerifyResult = z.infer<typeof VerifyResult>;
