/** Audit rows → API contracts and CSV. */
import type { ExportedEntry, Statement } from '../../contracts/index.js';
import type { ExportRow } from '../../app/audit.js';
import { csvRow, csvText } from '../../domain/audit.js';

const STATEMENT_COLUMNS = [
  'row',
  'entry_id',
  'created_at',
  'type',
  'reason',
  'amount',
  'balance_after',
  'currency',
  'note',
  'actor',
  'purchase_id',
  'refund_id',
] as const;

/**
 * The statement as CSV: a header, an `opening` row (balance as of `from`), one `entry` row per
 * entry, a `closing` row whose amount is the period's net and whose balance_after is the
 * closing balance — so opening + SUM(entry amounts) = closing in any spreadsheet.
 */
export function statementCsv(s: Statement): string {
  const rows = [csvRow(STATEMENT_COLUMNS)];
  rows.push(csvRow(['opening', null, s.from, null, null, null, s.openingBalance, s.currency, null, null, null, null]));
  for (const e of s.entries) {
    rows.push(
      csvRow([
        'entry',
        e.id,
        e.createdAt,
        e.type,
        csvText(e.reason),
        e.amount,
        e.balanceAfter,
        e.currency,
        csvText(e.note),
        csvText(e.actor),
        e.purchaseId,
        e.refundId,
      ]),
    );
  }
  rows.push(
    csvRow([
      'closing',
      null,
      s.to,
      null,
      null,
      s.closingBalance - s.openingBalance,
      s.closingBalance,
      s.currency,
      null,
      null,
      null,
      null,
    ]),
  );
  return rows.join('');
}

export function toExportedEntry(r: ExportRow): ExportedEntry {
  return { ...r };
}

export const EXPORT_COLUMNS = [
  'id',
  'customerId',
  'accountVersion',
  'type',
  'amount',
  'currency',
  'balanceAfter',
  'reason',
  'note',
  'actor',
  'approvedBy',
  'purchaseId',
  'refundId',
  'workflowId',
  'requestId',
  'idempotencyKey',
  'createdAt',
  'hash',
] as const satisfies readonly (keyof ExportedEntry)[];

/**
 * One export row as CSV. Free text that a spreadsheet would evaluate is neutralised, so the
 * CSV is for reading; the NDJSON carries every value exactly as hashed.
 */
export function exportCsvRow(r: ExportRow): string {
  return csvRow(
    EXPORT_COLUMNS.map((c) =>
      c === 'note' || c === 'reason' || c === 'actor' || c === 'approvedBy' ? csvText(r[c]) : r[c],
    ),
  );
}
