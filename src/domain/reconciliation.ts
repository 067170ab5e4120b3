/**
 * The pure rules of reconciliation: what one batch of the books must satisfy, and when the
 * shipment of a failed purchase attempt may be cancelled. The database reads the snapshots
 * (src/db/reconciliation-repository.ts); these functions judge them. No I/O.
 */

export const FINDING_SEVERITIES = ['error', 'warning', 'info'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

/** One discrepancy a reconciliation run found (or an orphaned hold it released). */
export interface Finding {
  readonly severity: FindingSeverity;
  /** Stable snake_case kind: balance_mismatch, held_mismatch, balance_chain_broken, … */
  readonly kind: string;
  /** What it is about: `account:<customerId>`, `entry:<id>`, `purchase:<id>`, `hold:<id>`. */
  readonly entity: string;
  readonly expected: string | number | null;
  readonly actual: string | number | null;
  readonly detail: string;
}

export interface AccountCheckRow {
  readonly customerId: string;
  readonly balance: number;
  readonly held: number;
  readonly version: number;
  readonly entriesTotal: number;
  readonly entryCount: number;
  readonly maxVersion: number;
  readonly holdsTotal: number;
  readonly holdCount: number;
}

export interface ChainBreakRow {
  readonly id: string;
  readonly customerId: string;
  readonly accountVersion: number;
  readonly amount: number;
  readonly balanceAfter: number;
  readonly prevBalance: number;
  readonly prevVersion: number;
}

export interface PurchaseCheckRow {
  readonly id: string;
  readonly customerId: string;
  readonly total: number;
  readonly refundedAmount: number;
  readonly shipmentId: string;
  readonly refundsTotal: number;
  readonly refundCount: number;
  readonly purchaseEntriesTotal: number;
  readonly purchaseEntryCount: number;
  readonly refundEntriesTotal: number;
  readonly createdAt: Date;
}

export interface StaleHoldRow {
  readonly id: string;
  readonly customerId: string;
  readonly purchaseId: string;
  readonly workflowId: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly createdAt: string;
  readonly hasPurchase: boolean;
}

export interface BatchSnapshot {
  /** The accounts of the batch, in customer id order; empty when the keyset is exhausted. */
  readonly accounts: AccountCheckRow[];
  readonly chainBreaks: ChainBreakRow[];
  readonly purchases: PurchaseCheckRow[];
  readonly staleHolds: StaleHoldRow[];
}

/** What the books say about a purchase id right now: read just before cancelling its shipment. */
export interface AttemptBooks {
  /** The attempt's status; null when there is no attempt row. */
  readonly attemptStatus: string | null;
  readonly hasPurchase: boolean;
  readonly ledgerEntries: number;
  readonly holdStatus: string | null;
}

/**
 * Pure: why the shipment of a failed attempt must not be cancelled, or null when it may be.
 * Only a failed attempt with no purchase, no ledger entry and no pending or captured hold
 * leaves a shipment nobody paid for; anything else is a contradiction for a human.
 */
export function orphanCancelBlocker(books: AttemptBooks): string | null {
  if (books.hasPurchase) return 'a purchase with this id is committed';
  if (books.ledgerEntries > 0) return `${books.ledgerEntries} ledger entries belong to this purchase id`;
  if (books.holdStatus === 'captured' || books.holdStatus === 'pending')
    return `its credit hold is ${books.holdStatus}`;
  if (books.attemptStatus !== 'failed') return `the attempt is ${books.attemptStatus ?? 'missing'}, not failed`;
  return null;
}

/** Pure: the findings of a batch snapshot (everything except shipments and orphaned holds). */
export function ledgerFindings(snapshot: BatchSnapshot): Finding[] {
  const findings: Finding[] = [];
  for (const a of snapshot.accounts) {
    const entity = `account:${a.customerId}`;
    if (a.balance !== a.entriesTotal) {
      findings.push({
        severity: 'error',
        kind: 'balance_mismatch',
        entity,
        expected: a.entriesTotal,
        actual: a.balance,
        detail: `balance ${a.balance} differs from the sum of its ${a.entryCount} entries (${a.entriesTotal})`,
      });
    }
    if (a.held !== a.holdsTotal) {
      findings.push({
        severity: 'error',
        kind: 'held_mismatch',
        entity,
        expected: a.holdsTotal,
        actual: a.held,
        detail: `held ${a.held} differs from the sum of its ${a.holdCount} pending holds (${a.holdsTotal})`,
      });
    }
    if (a.version !== a.maxVersion || a.entryCount !== a.maxVersion) {
      // The account's version counts its entries; the entries' versions run 1..version.
      const [expected, actual] = a.version !== a.maxVersion ? [a.version, a.maxVersion] : [a.maxVersion, a.entryCount];
      findings.push({
        severity: 'error',
        kind: 'version_mismatch',
        entity,
        expected,
        actual,
        detail: `account version ${a.version}, ${a.entryCount} entries, highest entry version ${a.maxVersion}: they must all be equal`,
      });
    }
  }
  for (const b of snapshot.chainBreaks) {
    const entity = `entry:${b.id}`;
    if (b.accountVersion !== b.prevVersion + 1) {
      findings.push({
        severity: 'error',
        kind: 'version_gap',
        entity,
        expected: b.prevVersion + 1,
        actual: b.accountVersion,
        detail: `entry of ${b.customerId} has account_version ${b.accountVersion} after ${b.prevVersion}`,
      });
    }
    if (b.balanceAfter !== b.prevBalance + b.amount) {
      findings.push({
        severity: 'error',
        kind: 'balance_chain_broken',
        entity,
        expected: b.prevBalance + b.amount,
        actual: b.balanceAfter,
        detail: `entry ${b.accountVersion} of ${b.customerId}: balance_after should be ${b.prevBalance} + ${b.amount}`,
      });
    }
  }
  for (const p of snapshot.purchases) {
    const entity = `purchase:${p.id}`;
    if (p.refundsTotal > p.total) {
      findings.push({
        severity: 'error',
        kind: 'refunds_exceed_total',
        entity,
        expected: p.total,
        actual: p.refundsTotal,
        detail: `${p.refundCount} refunds sum to ${p.refundsTotal}, more than the total ${p.total}`,
      });
    }
    if (p.refundedAmount !== p.refundsTotal) {
      findings.push({
        severity: 'error',
        kind: 'refunded_amount_mismatch',
        entity,
        expected: p.refundsTotal,
        actual: p.refundedAmount,
        detail: `refunded_amount ${p.refundedAmount} differs from the sum of its ${p.refundCount} refunds (${p.refundsTotal})`,
      });
    }
    if (p.refundEntriesTotal !== p.refundsTotal) {
      findings.push({
        severity: 'error',
        kind: 'refund_entries_mismatch',
        entity,
        expected: p.refundsTotal,
        actual: p.refundEntriesTotal,
        detail: `refund ledger entries sum to ${p.refundEntriesTotal}, refunds to ${p.refundsTotal}`,
      });
    }
    const expectedEntries = p.total > 0 ? 1 : 0;
    if (p.purchaseEntryCount !== expectedEntries || p.purchaseEntriesTotal !== -p.total) {
      findings.push({
        severity: 'error',
        kind: 'purchase_entry_mismatch',
        entity,
        expected: -p.total,
        actual: p.purchaseEntriesTotal,
        detail: `${p.purchaseEntryCount} purchase entries summing ${p.purchaseEntriesTotal} for a total of ${p.total}`,
      });
    }
  }
  return findings;
}
