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
  bigint, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';


export const creditAccounts = pgTable('credit_accounts', {
  customerId: text('customer_id').primaryKey(),
  currency: text('currency').notNull(),
  balance: bigint('balance', { mode: 'number' }).notNull().default(0),
  held: bigint('held', { mode: 'number' }).notNull().default(0),
  /** Incremented with every entry; the entry records it, giving a gap-free per-account chain. */
  version: integer('version').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().default(sql`clock_timestamp()`),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().default(sql`clock_timestamp()`),
}, (t) => [
  check('credit_accounts_held_nonnegative', sql`${t.held} >= 0`),
  check('credit_accounts_available_nonnegative', sql`${t.balance} - ${t.held} >= 0`),
  check('credit_accounts_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
]);

export const ENTRY_TYPES = ['grant', 'deduction', 'purchase', 'refund'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export const ledgerEntries = pgTable('ledger_entries', {
  id: text('id').primaryKey(),
  customerId: text('customer_id').notNull().references(() => creditAccounts.customerId),
  /** The account's version after this entry: 1, 2, 3 … without gaps. */
  accountVersion: integer('account_version').notNull(),
  type: text('type').$type<EntryType>().notNull(),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  currency: text('currency').notNull(),
  balanceAfter: bigint('balance_after', { mode: 'number' }).notNull(),
  reason: text('reason').notNull(),
  note: text('note'),
  actor: text('actor').notNull(),
  purchaseId: text('purchase_id'),
  refundId: text('refund_id'),
  workflowId: text('workflow_id'),
  requestId: text('request_id'),
  /** Globally unique per money movement (scope-prefixed), so a retried write books once. */
  idempotencyKey: text('idempotency_key').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().default(sql`clock_timestamp()`),
}, (t) => [
  uniqueIndex('ledger_entries_idempotency_key_uq').on(t.idempotencyKey),
  uniqueIndex('ledger_entries_account_version_uq').on(t.customerId, t.accountVersion),
  index('ledger_entries_purchase_idx').on(t.purchaseId),
  check('ledger_entries_type', sql`${t.type} in ('grant','deduction','purchase','refund')`),
  check('ledger_entries_amount_sign', sql`(${t.type} in ('grant','refund') and ${t.amount} > 0) or (${t.type} in ('deduction','purchase') and ${t.amount} < 0)`),
  check('ledger_entries_balance_after_nonnegative', sql`${t.balanceAfter} >= 0`),
]);

export const HOLD_STATUSES = ['pending', 'captured', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export const creditHolds = pgTable('credit_holds', {
  id: text('id').primaryKey(),
  customerId: text('customer_id').notNull().references(() => creditAccounts.customerId),
  purchaseId: text('purchase_id').notNull(),
  workflowId: text('workflow_id'),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  currency: text('currency').notNull(),
  status: text('status').$type<HoldStatus>().notNull().default('pending'),
  /** Why the hold was released (shipment_failed, reconciliation_orphan, …) or captured. */
  resolution: text('resolution'),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().default(sql`clock_timestamp()`),
  resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 6 }),
}, (t) => [
  uniqueIndex('credit_holds_purchase_uq').on(t.purchaseId),
  index('credit_holds_pending_idx').on(t.customerId).where(sql`${t.status} = 'pending'`),
  check('credit_holds_amount_positive', sql`${t.amount} > 0`),
  check('credit_holds_status', sql`${t.status} in ('pending','captured','released')`),
  check('credit_holds_resolved', sql`(${t.status} = 'pending') = (${t.resolvedAt} is null)`),
]);

export const idempotencyKeys = pgTable('idempotency_keys', {
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
  createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().default(sql`clock_timestamp()`),
  completedAt: timestamp('completed_at', { withTimezone: true, precision: 6 }),
}, (t) => [
  primaryKey({ columns: [t.scope, t.key] }),
  index('idempotency_keys_created_idx').on(t.createdAt),
]);

export type CreditAccountRow = typeof creditAccounts.$inferSelect;
export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;
export type CreditHoldRow = typeof creditHolds.$inferSelect;
export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
