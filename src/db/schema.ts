/**
 * The ledger's tables. Money is `bigint` minor units (cents) read as JS numbers: every amount
 * the API accepts is a safe integer, and the CHECK constraints keep balances far from 2^53.
 * Invariants enforced by the database itself, so no code path can break them:
 * - no balance or available balance below zero (CHECK on credit_accounts);
 * - ledger entries are append-only (trigger in a custom migration);
 * - an entry's sign matches its type, and refunds never exceed a purchase's total.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { Address } from '../contracts/common.js';
import type { EventType } from '../contracts/events.js';
import type { Finding } from '../domain/reconciliation.js';

export const creditAccounts = pgTable(
  'credit_accounts',
  {
    customerId: text('customer_id').primaryKey(),
    currency: text('currency').notNull(),
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
    held: bigint('held', { mode: 'number' }).notNull().default(0),
    /** Incremented with every entry; the entry records it, giving a gap-free per-account chain. */
    version: integer('version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [
    check('credit_accounts_held_nonnegative', sql`${t.held} >= 0`),
    check('credit_accounts_available_nonnegative', sql`${t.balance} - ${t.held} >= 0`),
    check('credit_accounts_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const ENTRY_TYPES = ['grant', 'deduction', 'purchase', 'refund'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => creditAccounts.customerId),
    /** The account's version after this entry: 1, 2, 3 … without gaps. */
    accountVersion: integer('account_version').notNull(),
    type: text('type').$type<EntryType>().notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    balanceAfter: bigint('balance_after', { mode: 'number' }).notNull(),
    reason: text('reason').notNull(),
    note: text('note'),
    actor: text('actor').notNull(),
    /** The admin who approved a large support grant or deduction (maker–checker); null otherwise. */
    approvedBy: text('approved_by'),
    purchaseId: text('purchase_id'),
    refundId: text('refund_id'),
    workflowId: text('workflow_id'),
    requestId: text('request_id'),
    /** Globally unique per money movement (scope-prefixed), so a retried write books once. */
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
    /**
     * SHA-256 (hex) of the previous entry's hash of the account and this entry's canonical
     * fields (src/domain/ledger-chain.ts). Set by the BEFORE INSERT trigger
     * `ledger_entries_chain` whatever the insert supplies; the empty default only lets inserts
     * omit it, and the CHECK refuses a row the trigger did not fill.
     */
    hash: text('hash').notNull().default(''),
  },
  (t) => [
    uniqueIndex('ledger_entries_idempotency_key_uq').on(t.idempotencyKey),
    uniqueIndex('ledger_entries_account_version_uq').on(t.customerId, t.accountVersion),
    index('ledger_entries_purchase_idx').on(t.purchaseId),
    /** Balance at an instant and statements: one seek to the last entry at or before a time. */
    index('ledger_entries_customer_created_idx').on(t.customerId, t.createdAt, t.accountVersion),
    /** The finance export: every account's entries of a period in (created_at, id) order. */
    index('ledger_entries_created_idx').on(t.createdAt, t.id),
    check('ledger_entries_hash_hex', sql`${t.hash} ~ '^[0-9a-f]{64}$'`),
    check('ledger_entries_type', sql`${t.type} in ('grant','deduction','purchase','refund')`),
    check(
      'ledger_entries_amount_sign',
      sql`(${t.type} in ('grant','refund') and ${t.amount} > 0) or (${t.type} in ('deduction','purchase') and ${t.amount} < 0)`,
    ),
    check('ledger_entries_balance_after_nonnegative', sql`${t.balanceAfter} >= 0`),
  ],
);

export const HOLD_STATUSES = ['pending', 'captured', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export const creditHolds = pgTable(
  'credit_holds',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => creditAccounts.customerId),
    purchaseId: text('purchase_id').notNull(),
    workflowId: text('workflow_id'),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status').$type<HoldStatus>().notNull().default('pending'),
    /** Why the hold was released (shipment_failed, reconciliation_orphan, …) or captured. */
    resolution: text('resolution'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 6 }),
    /**
     * When the oldest hold of the account that was still pending at this hold's creation was
     * created (this hold's own `created_at` if none). Set by the BEFORE INSERT trigger
     * `credit_holds_open_since`. Bounds the holds a balance-at-an-instant query reads: every
     * hold pending at an instant was created at or after the `open_since` of the last hold
     * created at or before it.
     */
    openSince: timestamp('open_since', { withTimezone: true, precision: 6 }),
  },
  (t) => [
    uniqueIndex('credit_holds_purchase_uq').on(t.purchaseId),
    index('credit_holds_pending_idx')
      .on(t.customerId)
      .where(sql`${t.status} = 'pending'`),
    index('credit_holds_customer_created_idx').on(t.customerId, t.createdAt),
    check('credit_holds_amount_positive', sql`${t.amount} > 0`),
    check('credit_holds_status', sql`${t.status} in ('pending','captured','released')`),
    check('credit_holds_resolved', sql`(${t.status} = 'pending') = (${t.resolvedAt} is null)`),
  ],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The caller's token name: keys of different callers never collide. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    /** The id of the resource the request creates (purchase id, entry id …), fixed at first sight. */
    resourceId: text('resource_id').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 6 }),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/**
 * Signed heads of the per-account hash chains, recorded by reconciliation when
 * LEDGER_CHECKPOINT_KEY is set: `signature` = HMAC-SHA256 under the key named by `key_id`
 * (src/domain/ledger-checkpoint.ts). The key is not in the database, so these rows pin each
 * account's history up to `account_version` against a rewrite by someone who can only write
 * the database. A real deployment also ships them out (a log or WORM store).
 */
export const ledgerCheckpoints = pgTable(
  'ledger_checkpoints',
  {
    customerId: text('customer_id').notNull(),
    accountVersion: integer('account_version').notNull(),
    hash: text('hash').notNull(),
    keyId: text('key_id').notNull(),
    signature: text('signature').notNull(),
    runId: text('run_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.accountVersion] })],
);

export type CreditAccountRow = typeof creditAccounts.$inferSelect;
export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;
export type CreditHoldRow = typeof creditHolds.$inferSelect;
export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;

export const PURCHASE_STATUSES = ['completed', 'partially_refunded', 'refunded'] as const;
export type PurchaseStatusValue = (typeof PURCHASE_STATUSES)[number];

/** @deprecated Use `Address` (src/contracts/common.ts), the one address type. */
export type AddressSnapshot = Address;

/**
 * Completed purchases. `created_at` has millisecond precision so that the keyset cursor (a JS
 * Date) round-trips exactly. Created only by the saga's commit; afterwards only refunds change
 * `refunded_amount` and `status`. Product, prices and address are a snapshot of the moment.
 */
export const purchases = pgTable(
  'purchases',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => creditAccounts.customerId),
    productId: text('product_id').notNull(),
    productName: text('product_name').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: bigint('unit_price', { mode: 'number' }).notNull(),
    subtotal: bigint('subtotal', { mode: 'number' }).notNull(),
    discount: bigint('discount', { mode: 'number' }).notNull().default(0),
    total: bigint('total', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    promoCode: text('promo_code'),
    status: text('status').$type<PurchaseStatusValue>().notNull().default('completed'),
    refundedAmount: bigint('refunded_amount', { mode: 'number' }).notNull().default(0),
    shipmentId: text('shipment_id').notNull(),
    shipmentStatus: text('shipment_status').notNull(),
    shippingAddress: jsonb('shipping_address').$type<Address>().notNull(),
    workflowId: text('workflow_id').notNull(),
    actor: text('actor').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [
    index('purchases_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('purchases_customer_created_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    index('purchases_product_created_idx').on(t.productId, t.createdAt.desc(), t.id.desc()),
    index('purchases_status_created_idx').on(t.status, t.createdAt.desc(), t.id.desc()),
    uniqueIndex('purchases_shipment_uq').on(t.shipmentId),
    index('purchases_promo_created_idx')
      .on(t.promoCode, t.createdAt.desc(), t.id.desc())
      .where(sql`${t.promoCode} is not null`),
    check('purchases_quantity', sql`${t.quantity} between 1 and 100`),
    check('purchases_subtotal', sql`${t.subtotal} = ${t.unitPrice} * ${t.quantity}`),
    check(
      'purchases_total',
      sql`${t.total} = ${t.subtotal} - ${t.discount} and ${t.total} >= 0 and ${t.discount} >= 0`,
    ),
    check('purchases_refunded_le_total', sql`${t.refundedAmount} >= 0 and ${t.refundedAmount} <= ${t.total}`),
    check(
      'purchases_status',
      sql`(${t.status} = 'completed' and ${t.refundedAmount} = 0) or (${t.status} = 'partially_refunded' and ${t.refundedAmount} > 0 and ${t.refundedAmount} < ${t.total}) or (${t.status} = 'refunded' and ${t.refundedAmount} = ${t.total})`,
    ),
  ],
);

export const REFUND_REASONS = [
  'requested_by_customer',
  'damaged',
  'not_delivered',
  'duplicate',
  'goodwill',
  'other',
] as const;
export type RefundReasonValue = (typeof REFUND_REASONS)[number];

export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    purchaseId: text('purchase_id')
      .notNull()
      .references(() => purchases.id),
    customerId: text('customer_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').$type<RefundReasonValue>().notNull(),
    note: text('note'),
    actor: text('actor').notNull(),
    workflowId: text('workflow_id'),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [
    index('refunds_purchase_idx').on(t.purchaseId, t.createdAt),
    check('refunds_amount_positive', sql`${t.amount} > 0`),
  ],
);

export const ATTEMPT_STATUSES = ['pending', 'completed', 'failed'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * Every purchase request, successful or not: the audit trail of attempts that left no
 * purchase, and the durable answer to a replayed Idempotency-Key (Temporal's history of a
 * closed workflow is deleted after the namespace's retention period; this row is not).
 */
export const purchaseAttempts = pgTable(
  'purchase_attempts',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    promoCode: text('promo_code'),
    status: text('status').$type<AttemptStatus>().notNull().default('pending'),
    /** The problem body the caller got, for a failed attempt. */
    error: jsonb('error').$type<Record<string, unknown>>(),
    workflowId: text('workflow_id').notNull(),
    actor: text('actor').notNull(),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 6 }),
    /** An admin's cancel of a stuck saga (`POST /v1/purchase-attempts/{id}/cancel`): who, why, when. */
    cancelRequestedBy: text('cancel_requested_by'),
    cancelReason: text('cancel_reason'),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true, precision: 6 }),
  },
  (t) => [
    // The support list (`GET /v1/purchase-attempts`): newest first per filter, keyset on (created_at, id).
    index('purchase_attempts_customer_created_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    index('purchase_attempts_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('purchase_attempts_status_created_idx').on(t.status, t.createdAt.desc(), t.id.desc()),
    index('purchase_attempts_pending_idx')
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending'`),
    check(
      'purchase_attempts_cancel',
      sql`(${t.cancelRequestedBy} is null) = (${t.cancelRequestedAt} is null) and (${t.cancelRequestedBy} is null) = (${t.cancelReason} is null)`,
    ),
    check('purchase_attempts_status', sql`${t.status} in ('pending','completed','failed')`),
  ],
);

export type PurchaseRow = typeof purchases.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type PurchaseAttemptRow = typeof purchaseAttempts.$inferSelect;

/**
 * Promo codes. `redemptions` counts committed uses, `reserved` the ones held by running
 * sagas; both move only in conditional UPDATEs on this row, which serialise concurrent
 * purchases of the same code so limits hold under concurrency.
 */
export const promoCodes = pgTable(
  'promo_codes',
  {
    code: text('code').primaryKey(),
    kind: text('kind').$type<'percent' | 'amount'>().notNull(),
    percentOff: integer('percent_off'),
    amountOff: bigint('amount_off', { mode: 'number' }),
    currency: text('currency'),
    startsAt: timestamp('starts_at', { withTimezone: true, precision: 3 }),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }),
    maxRedemptions: integer('max_redemptions'),
    maxRedemptionsPerCustomer: integer('max_redemptions_per_customer'),
    minSubtotal: bigint('min_subtotal', { mode: 'number' }),
    productIds: jsonb('product_ids').$type<string[]>(),
    active: boolean('active').notNull().default(true),
    redemptions: integer('redemptions').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [
    check(
      'promo_codes_kind',
      sql`(${t.kind} = 'percent' and ${t.percentOff} between 1 and 100 and ${t.amountOff} is null) or (${t.kind} = 'amount' and ${t.amountOff} > 0 and ${t.currency} is not null and ${t.percentOff} is null)`,
    ),
    check(
      'promo_codes_counts',
      sql`${t.redemptions} >= 0 and ${t.reserved} >= 0 and (${t.maxRedemptions} is null or ${t.redemptions} + ${t.reserved} <= ${t.maxRedemptions})`,
    ),
    check('promo_codes_window', sql`${t.startsAt} is null or ${t.expiresAt} is null or ${t.startsAt} < ${t.expiresAt}`),
  ],
);

export const promoRedemptions = pgTable(
  'promo_redemptions',
  {
    purchaseId: text('purchase_id').primaryKey(),
    code: text('code')
      .notNull()
      .references(() => promoCodes.code),
    customerId: text('customer_id').notNull(),
    discount: bigint('discount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status').$type<'reserved' | 'committed' | 'released'>().notNull().default('reserved'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 6 }),
  },
  (t) => [
    index('promo_redemptions_code_customer_idx').on(t.code, t.customerId),
    check('promo_redemptions_status', sql`${t.status} in ('reserved','committed','released')`),
  ],
);

/** Every change of a promo code: who, when, before and after. Append-only. */
export const promoCodeAudit = pgTable(
  'promo_code_audit',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull(),
    action: text('action').$type<'create' | 'update' | 'deactivate' | 'delete'>().notNull(),
    actor: text('actor').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [index('promo_code_audit_code_idx').on(t.code, t.createdAt)],
);

export type PromoCodeRow = typeof promoCodes.$inferSelect;
export type PromoRedemptionRow = typeof promoRedemptions.$inferSelect;
export type PromoCodeAuditRow = typeof promoCodeAudit.$inferSelect;

export const RECONCILIATION_TRIGGERS = ['schedule', 'manual'] as const;
export type ReconciliationTrigger = (typeof RECONCILIATION_TRIGGERS)[number];
export const RECONCILIATION_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];
export interface ReconciliationCounts {
  accounts: number;
  entries: number;
  pendingHolds: number;
  purchases: number;
  refunds: number;
  shipmentsChecked: number;
  holdsReleased: number;
  errors: number;
  warnings: number;
  infos: number;
}

/**
 * Reconciliation runs and their findings. A run advances `cursor` (the last customer id it
 * checked) together with its counts and findings in one UPDATE that is conditional on the
 * previous cursor, so a retried batch activity never records its findings twice.
 */
export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: text('id').primaryKey(),
    trigger: text('trigger').$type<ReconciliationTrigger>().notNull(),
    status: text('status').$type<ReconciliationStatus>().notNull().default('running'),
    workflowId: text('workflow_id').notNull(),
    /** Temporal's first execution run id: the run row is created once per workflow execution. */
    executionId: text('execution_id').notNull(),
    actor: text('actor'),
    cursor: text('cursor'),
    counts: jsonb('counts').$type<ReconciliationCounts>().notNull(),
    /** The first findings (capped); `finding_count` counts them all. */
    findings: jsonb('findings')
      .$type<Finding[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    findingCount: integer('finding_count').notNull().default(0),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('reconciliation_runs_execution_uq').on(t.executionId),
    index('reconciliation_runs_started_idx').on(t.startedAt.desc(), t.id.desc()),
    check('reconciliation_runs_trigger', sql`${t.trigger} in ('schedule','manual')`),
    check('reconciliation_runs_status', sql`${t.status} in ('running','completed','failed')`),
  ],
);

export type ReconciliationRunRow = typeof reconciliationRuns.$inferSelect;

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export const APPROVAL_KINDS = ['grant', 'deduction'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/**
 * Large support grants and deductions waiting for an admin (maker–checker). Written by the
 * `creditApproval` workflow's activities; the status moves once, from `pending`, in the same
 * transaction as its consequence (the entry, for an approval), under a row lock, so racing
 * decisions post at most one entry. `idempotency_scope`/`idempotency_key` are the requester's
 * key, so a replay of the original request finds its approval.
 */
export const approvals = pgTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    kind: text('kind').$type<ApprovalKind>().notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    note: text('note'),
    requestedBy: text('requested_by').notNull(),
    status: text('status').$type<ApprovalStatus>().notNull().default('pending'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true, precision: 3 }),
    decisionNote: text('decision_note'),
    entryId: text('entry_id'),
    workflowId: text('workflow_id').notNull(),
    idempotencyScope: text('idempotency_scope').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('approvals_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('approvals_status_created_idx').on(t.status, t.createdAt.desc(), t.id.desc()),
    index('approvals_customer_created_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    check('approvals_kind', sql`${t.kind} in ('grant','deduction')`),
    check('approvals_status', sql`${t.status} in ('pending','approved','rejected','expired')`),
    check('approvals_amount_positive', sql`${t.amount} > 0`),
    check('approvals_decided', sql`(${t.status} in ('pending','expired')) = (${t.decidedBy} is null)`),
    check('approvals_entry', sql`(${t.status} = 'approved') = (${t.entryId} is not null)`),
  ],
);

export type ApprovalRow = typeof approvals.$inferSelect;

export { EVENT_TYPES, type EventType } from '../contracts/events.js';

/**
 * The transactional outbox and the events feed: one row per change that matters outside,
 * written in the same transaction as the change. `sequence` is global and gap-free: it is taken
 * from the one-row `event_sequence` counter (UPDATE … RETURNING) inside the writing transaction,
 * so event-writing transactions serialise on that row and commit in sequence order, and a
 * rollback gives its number back. A reader that has seen sequence N can therefore ask for
 * everything after N and never miss one. Append-only (triggers in the migration).
 */
export const events = pgTable(
  'events',
  {
    sequence: bigint('sequence', { mode: 'number' }).primaryKey(),
    id: text('id').notNull(),
    type: text('type').$type<EventType>().notNull(),
    customerId: text('customer_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    uniqueIndex('events_id_uq').on(t.id),
    index('events_type_sequence_idx').on(t.type, t.sequence),
    check(
      'events_type',
      sql`${t.type} in ('purchase.completed','purchase.failed','refund.created','credit.granted','credit.deducted','approval.requested','approval.decided','reconciliation.finding')`,
    ),
    check('events_sequence_positive', sql`${t.sequence} > 0`),
  ],
);

export type EventRow = typeof events.$inferSelect;

/**
 * The events' counter: exactly one row (`id = 1`), `last` = the sequence of the last committed
 * (or currently being written) event. Taking a number locks the row until commit.
 */
export const eventSequence = pgTable(
  'event_sequence',
  {
    id: integer('id').primaryKey(),
    last: bigint('last', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('event_sequence_one_row', sql`${t.id} = 1`), check('event_sequence_last', sql`${t.last} >= 0`)],
);
export type WebhookEndpointStatus = 'enabled' | 'disabled';

/**
 * Webhook endpoints (admin): where events are delivered, which types, and the delivery cursor —
 * the `sequence` of the last event this endpoint acknowledged with a 2xx. The delivery workflow
 * (`webhook-endpoint-<id>`) advances it only after a 2xx, one event at a time, so delivery is
 * at least once and in sequence order. The signing secret is kept because the server signs
 * with it (an HMAC key cannot be hashed); it is never returned after creation or rotation.
 * A deleted endpoint keeps its row (`deleted_at`) so its delivery log stays readable.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    url: text('url').notNull(),
    types: text('types').array().notNull(),
    description: text('description'),
    status: text('status').$type<WebhookEndpointStatus>().notNull().default('enabled'),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true, precision: 3 }),
    cursor: bigint('cursor', { mode: 'number' }).notNull(),
    disabledAt: timestamp('disabled_at', { withTimezone: true, precision: 3 }),
    disabledBy: text('disabled_by'),
    disabledReason: text('disabled_reason'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
    deletedBy: text('deleted_by'),
  },
  (t) => [
    index('webhook_endpoints_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('webhook_endpoints_status', sql`${t.status} in ('enabled','disabled')`),
    check('webhook_endpoints_cursor', sql`${t.cursor} >= 0`),
    check('webhook_endpoints_disabled', sql`(${t.status} = 'disabled') = (${t.disabledAt} is not null)`),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

export type WebhookDeliveryKind = 'event' | 'resend' | 'test';

/** Every delivery attempt: what was sent, what came back, how long it took, when the next try is. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The event's sequence; null for a test event (not part of the feed). */
    eventSequence: bigint('event_sequence', { mode: 'number' }),
    kind: text('kind').$type<WebhookDeliveryKind>().notNull(),
    attempt: integer('attempt').notNull(),
    succeeded: boolean('succeeded').notNull(),
    httpStatus: integer('http_status'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    /** When the next attempt is due; null after a success or the last attempt. */
    nextRetryAt: timestamp('next_retry_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt.desc(), t.id.desc()),
    index('webhook_deliveries_event_idx').on(t.endpointId, t.eventId),
    check('webhook_deliveries_kind', sql`${t.kind} in ('event','resend','test')`),
  ],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
