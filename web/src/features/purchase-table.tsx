import { Table } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import type { Purchase } from '../../../src/contracts/index.js';
import { PurchaseStatusBadge } from '../components/badges';
import { Money } from '../components/money';
import { formatDateTime } from '../lib/format';

export function PurchaseTable({
  purchases,
  busy,
  showCustomer = true,
  testId = 'purchases-table',
}: {
  readonly purchases: readonly Purchase[];
  readonly busy: boolean;
  readonly showCustomer?: boolean;
  readonly testId?: string;
}): ReactElement {
  return (
    <Table
      headers={[
        { label: 'Created', width: '225px' },
        { label: 'Purchase', width: '270px' },
        ...(showCustomer ? [{ label: 'Customer', width: '130px' }] : []),
        { label: 'Product' },
        { label: 'Qty', width: '60px' },
        { label: 'Total', width: '110px' },
        { label: 'Refunded', width: '110px' },
        { label: 'Status', width: '160px' },
      ]}
      rows={purchases.map((purchase) => ({
        id: purchase.id,
        'data-testid': 'purchase-row',
        'data-purchase-id': purchase.id,
        items: [
          { label: <time dateTime={purchase.createdAt}>{formatDateTime(purchase.createdAt)}</time> },
          {
            label: (
              <Link to={`/purchases/${encodeURIComponent(purchase.id)}`} data-testid={`purchase-link-${purchase.id}`}>
                <code>{purchase.id}</code>
              </Link>
            ),
          },
          ...(showCustomer
            ? [
                {
                  label: (
                    <Link to={`/customers/${encodeURIComponent(purchase.customerId)}`}>{purchase.customerId}</Link>
                  ),
                },
              ]
            : []),
          { label: purchase.productName, overflowMode: 'wrap' },
          { label: String(purchase.quantity) },
          { label: <Money amount={purchase.total} currency={purchase.currency} /> },
          { label: <Money amount={purchase.refundedAmount} currency={purchase.currency} /> },
          { label: <PurchaseStatusBadge status={purchase.status} /> },
        ],
      }))}
      size="sm"
      className="data-table"
      aria-label="Purchases"
      aria-busy={busy}
      data-testid={testId}
    />
  );
}
