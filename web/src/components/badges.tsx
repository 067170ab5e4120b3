import { Badge } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import type { EntryType, PurchaseStatus } from '../../../src/contracts/index.js';
import { humanize } from '../lib/format';

const STATUS_STATE = {
  completed: 'success',
  partially_refunded: 'warning',
  refunded: 'neutral',
} as const satisfies Record<PurchaseStatus, string>;
const ENTRY_STATE = {
  grant: 'success',
  deduction: 'danger',
  purchase: 'info',
  refund: 'warning',
} as const satisfies Record<EntryType, string>;

export function PurchaseStatusBadge({
  status,
  testId,
}: {
  readonly status: PurchaseStatus;
  readonly testId?: string;
}): ReactElement {
  return <Badge text={humanize(status)} state={STATUS_STATE[status]} data-testid={testId} data-status={status} />;
}

export function EntryTypeBadge({ type }: { readonly type: EntryType }): ReactElement {
  return <Badge text={humanize(type)} state={ENTRY_STATE[type]} size="sm" data-entry-type={type} />;
}
