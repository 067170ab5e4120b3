/** A customer's credit changes still waiting for an admin, under their balance. */
import { Text } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import { useApprovals } from '../api/approvals';
import { Money } from '../components/money';
import { formatDateTime } from '../lib/format';

export function PendingApprovals({ customerId }: { readonly customerId: string }): ReactElement | null {
  const approvals = useApprovals({ status: 'pending', customerId }, null);
  const rows = approvals.data?.data ?? [];
  if (rows.length === 0) return null;
  return (
    <div className="notice" data-testid="customer-pending-approvals">
      <Text weight="semibold">Waiting for approval (not posted yet)</Text>
      <ul className="link-list">
        {rows.map((a) => (
          <li key={a.id} data-testid="customer-pending-approval" data-approval-id={a.id}>
            <Link to={`/approvals/${encodeURIComponent(a.id)}`}>
              <Money amount={a.kind === 'grant' ? a.amount : -a.amount} currency={a.currency} signed /> {a.kind}
            </Link>{' '}
            <Text size="sm" color="muted">
              requested by {a.requestedBy}, expires {formatDateTime(a.expiresAt)}
            </Text>
          </li>
        ))}
      </ul>
    </div>
  );
}
