/**
 * Audit use cases: the balance at an instant, statements, the finance export and the ledger's
 * verification. The database work is in src/db/audit-repository.ts; this layer adds the
 * customer check against the platform and the rule that an instant may not lie ahead.
 */
import type { CreditBalance } from '../contracts/credit.js';
import { balanceAsOf } from '../db/audit-repository.js';
import { assertNotInFuture } from '../domain/audit.js';
import { ensureCustomer } from './credit.js';
import { toCreditBalanceAsOf } from './credit-views.js';
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
