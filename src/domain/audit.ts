/**
 * Pure rules of the audit views: instants that may be asked for, and the CSV the statement and
 * the export are written in (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a
 * quote or a line break; free-text fields that a spreadsheet would read as a formula are
 * prefixed with an apostrophe).
 */
import { DomainError } from './errors.js';

/** Throws `instant_in_future` for an instant after `now`: the past is fixed, the future is not known yet. */
export function assertNotInFuture(instant: string, what: string, now: number = Date.now()): void {
  if (Date.parse(instant) > now) {
    throw new DomainError('instant_in_future', `${what} ${instant} is in the future; ask for an instant up to now.`, {
      instant,
    });
  }
}

/**
 * Throws `statement_period_invalid` unless `to` is after `from`: the period (from, to] must hold
 * at least one instant. A rule between two fields that JSON Schema cannot state, hence 422.
 */
export function assertPeriod(from: string, to: string): void {
  if (Date.parse(to) <= Date.parse(from)) {
    throw new DomainError(
      'statement_period_invalid',
      `The period ends (\`to\` ${to}) at or before it starts (\`from\` ${from}); \`to\` must be after \`from\`.`,
      { from, to },
    );
  }
}

export type CsvValue = string | number | null;

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A free-text cell: neutralised when a spreadsheet would evaluate it (=, +, -, @, tab, CR). */
export function csvText(value: string | null): CsvValue {
  if (value === null) return null;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** One CSV record with its CRLF. Numbers as they are, null as an empty field. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : quote(v))).join(',')}\r\n`;
}
