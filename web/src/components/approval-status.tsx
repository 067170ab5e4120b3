import { Badge } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import type { ApprovalStatus } from '../../../src/contracts/index.js';
import { humanize } from '../lib/format';

const STATE = {
  pending: 'warning',
  approved: 'success',
  rejected: 'danger',
  expired: 'neutral',
} as const satisfies Record<ApprovalStatus, string>;

export function ApprovalStatusBadge({
  status,
  testId,
}: {
  readonly status: ApprovalStatus;
  readonly testId?: string;
}): ReactElement {
  return (
    <Badge
      text={status === 'pending' ? 'Waiting for approval' : humanize(status)}
      state={STATE[status]}
      data-testid={testId}
      data-status={status}
    />
  );
}
