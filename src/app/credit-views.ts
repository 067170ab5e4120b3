/** Database rows → API contracts for credit. */
import type { CreditBalance } from '../contracts/credit.js';
import type { BalanceAsOf } from '../db/audit-repository.js';
import type { CreditAccountRow } from '../db/schema.js';

export function toCreditBalance(
  customerId: string,
  account: CreditAccountRow | null,
  defaultCurrency: string,
): CreditBalance {
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

/** The balance at an instant; an account that did not exist yet has zeros. */
export function toCreditBalanceAsOf(
  customerId: string,
  asOf: string,
  then: BalanceAsOf | null,
  defaultCurrency: string,
): CreditBalance {
  if (!then) return { customerId, currency: defaultCurrency, balance: 0, held: 0, available: 0, updatedAt: null, asOf };
  return {
    customerId,
    currency: then.currency,
    balance: then.balance,
    held: then.held,
    available: then.balance - then.held,
    updatedAt: then.lastEntryAt,
    asOf,
  };
}

/** Defined beside the rows: the outbox writes it too. */
export { toLedgerEntry } from '../db/resource-views.js';
