/** Database rows → API contracts for credit. */
import type { CreditBalance, LedgerEntry } from '../contracts/credit.js';
import type { CreditAccountRow, LedgerEntryRow } from '../db/schema.js';

export function toCreditBalance(customerId: string, account: CreditAccountRow | null, defaultCurrency: string): CreditBalance {
  if (!account) return { customerId, currency: defaultCurrency, balance: 0, held: 0, available: 0, updatedAt: null };
  return {
    customerId,
    currency: account.currency,
    balance: account.balance,
    held: account.held,
    available: account.balance - account.held,
    updatedAt: account.updatedAt.toISOString(),
  };
}

export function toLedgerEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    id: row.id,
    customerId: row.customerId,
    type: row.type,
    amount: row.amount,
    currency: row.currency,
    balanceAfter: row.balanceAfter,
    reason: row.reason,
    note: row.note,
    actor: row.actor,
    approvedBy: row.approvedBy,
    purchaseId: row.purchaseId,
    refundId: row.refundId,
    createdAt: row.createdAt.toISOString(),
  };
}
