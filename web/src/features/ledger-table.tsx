import { Table } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import type { LedgerEntry } from '../../../src/contracts/index.js';
import { EntryTypeBadge } from '../components/badges';
import { Money } from '../components/money';
import { ShortId } from '../components/short-id';
import { formatDateTime, humanize } from '../lib/format';

function EntrySource({ entry }: { readonly entry: LedgerEntry }): ReactElement | null {
  if (entry.purchaseId) {
    const to = `/purchases/${encodeURIComponent(entry.purchaseId)}${entry.refundId ? `#${entry.refundId}` : ''}`;
    return (
      <Link to={to} data-testid="ledger-source-link">
        {entry.refundId ? (
          <>
            Refund <ShortId id={entry.refundId} />
          </>
        ) : (
          <>
            Purchase <ShortId id={entry.purchaseId} />
          </>
        )}
      </Link>
    );
  }
  if (entry.refundId) return <ShortId id={entry.refundId} />;
  return null;
}

/** Who caused the entry and, for a large change by support, the admin who approved it. */
function EntryActor({ entry }: { readonly entry: LedgerEntry }): ReactElement {
  if (!entry.approvedBy) return <span data-testid="ledger-actor">{entry.actor}</span>;
  return (
    <span className="stacked" data-testid="ledger-actor">
      <span>{entry.actor}</span>
      <span className="muted-small" data-testid="ledger-approved-by">
        approved by {entry.approvedBy}
      </span>
    </span>
  );
}

export function LedgerTable({
  entries,
  busy,
}: {
  readonly entries: readonly LedgerEntry[];
  readonly busy: boolean;
}): ReactElement {
  return (
    <Table
      headers={[
        { label: 'Time', width: '225px' },
        { label: 'Type', width: '100px' },
        { label: 'Amount', width: '110px' },
        { label: 'Balance after', width: '120px' },
        { label: 'Reason' },
        { label: 'Note' },
        { label: 'Actor', width: '130px' },
        { label: 'Purchase / refund', width: '190px' },
      ]}
      rows={entries.map((entry) => ({
        id: entry.id,
        'data-testid': 'ledger-row',
        'data-entry-id': entry.id,
        'data-entry-type': entry.type,
        items: [
          { label: <time dateTime={entry.createdAt}>{formatDateTime(entry.createdAt)}</time> },
          { label: <EntryTypeBadge type={entry.type} /> },
          { label: <Money amount={entry.amount} currency={entry.currency} signed testId="ledger-amount" /> },
          { label: <Money amount={entry.balanceAfter} currency={entry.currency} testId="ledger-balance-after" /> },
          { label: humanize(entry.reason), overflowMode: 'wrap' },
          { label: entry.note ?? '—', overflowMode: 'wrap' },
          { label: <EntryActor entry={entry} /> },
          { label: <EntrySource entry={entry} /> },
        ],
      }))}
      size="sm"
      className="data-table"
      aria-label="Ledger entries"
      aria-busy={busy}
      data-testid="ledger-table"
    />
  );
}
