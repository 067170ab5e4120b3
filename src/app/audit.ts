/**
 * Audit use cases: the balance at an instant, statements, the finance export and the ledger's
 * verification. The database work is in src/db/audit-repository.ts; this layer adds the
 * customer check against the platform and the rule that an instant may not lie ahead.
 */
import type { Statement } from '../contracts/index.js';
import type { CreditBalance } from '../contracts/credit.js';
import { balanceAsOf, MAX_STATEMENT_ENTRIES, readStatement, type StatementData } from '../db/audit-repository.js';
import { assertNotInFuture, assertPeriod } from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import { ensureCustomer } from './credit.js';
import { toCreditBalanceAsOf, toLedgerEntry } from './credit-views.js';
import type { AppDeps } from './deps.js';

export {
  exportEntries,
  MAX_STATEMENT_ENTRIES,
  readStatement,
  verifyChains,
  type ExportRow,
  type StatementData,
} from '../db/audit-repository.js';
export { ensureCustomer } from './credit.js';

/** The balance, held and available as they were at `asOf` (RFC 3339, not in the future). */
export async function creditBalanceAsOf(
  deps: AppDeps,
  customerId: string,
  asOf: string,
  requestId: string,
): Promise<CreditBalance> {
  assertNotInFuture(asOf, '`asOf`');
  const then = await balanceAsOf(deps.database.db, customerId, asOf);
  // An account exists only for a customer the platform confirmed; otherwise ask it.
  if (!then) await ensureCustomer(deps, customerId, requestId);
  return toCreditBalanceAsOf(customerId, asOf, then, deps.config.defaultCurrency);
}

/** A statement's period as asked: `to` absent means now. */
export interface StatementPeriod {
  readonly from: string;
  readonly to?: string | undefined;
}

/** The export's range as asked: every bound optional, `to` absent means now. */
export interface ExportPeriod {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly afterId?: string | undefined;
}

/** The range the export reads: `to` fixed when the export starts, so a resumed export ends at the same instant. */
export interface ExportRange {
  readonly from: string | null;
  readonly to: string;
  readonly afterId: string | null;
}

export function toStatement(customerId: string, from: string, to: string, data: StatementData): Statement {
  return {
    customerId,
    currency: data.currency,
    from,
    to,
    openingBalance: data.openingBalance,
    closingBalance: data.closingBalance,
    totals: data.totals,
    totalsByReason: data.totalsByReason,
    entryCount: data.entryCount,
    entries: data.entries.map(toLedgerEntry),
  };
}

/**
 * A customer's statement for the period: opening balance, entries, totals, closing balance
 * (opening + the entries' sum = closing). A customer without an account gets an empty one once
 * the platform confirms the customer; a period beyond MAX_STATEMENT_ENTRIES is refused.
 */
export async function customerStatement(
  deps: AppDeps,
  customerId: string,
  period: StatementPeriod,
  requestId: string,
): Promise<Statement> {
  if (period.to) assertNotInFuture(period.to, '`to`');
  assertNotInFuture(period.from, '`from`');
  if (period.to) assertPeriod(period.from, period.to);
  const to = period.to ?? new Date().toISOString();
  let data: StatementData | null = await readStatement(deps.database.db, customerId, period.from, to);
  if (!data) {
    await ensureCustomer(deps, customerId, requestId);
    data = {
      currency: deps.config.defaultCurrency,
      openingBalance: 0,
      closingBalance: 0,
      totals: { grant: 0, deduction: 0, purchase: 0, refund: 0 },
      totalsByReason: {},
      entryCount: 0,
      entries: [],
    };
  }
  if (data.entryCount > MAX_STATEMENT_ENTRIES) {
    throw new DomainError(
      'statement_too_large',
      `The period holds ${data.entryCount} entries; a statement holds at most ${MAX_STATEMENT_ENTRIES}. Ask for a shorter period, or use the export.`,
      { entryCount: data.entryCount, limit: MAX_STATEMENT_ENTRIES },
    );
  }
  return toStatement(customerId, period.from, to, data);
}

/** The export's range: no bound in the future, `to` fixed now when absent. */
export function exportRange(period: ExportPeriod): ExportRange {
  if (period.from) assertNotInFuture(period.from, '`from`');
  if (period.to) assertNotInFuture(period.to, '`to`');
  return { from: period.from ?? null, to: period.to ?? new Date().toISOString(), afterId: period.afterId ?? null };
}
