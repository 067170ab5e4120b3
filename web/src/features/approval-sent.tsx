/**
 * What support sees after asking for a large grant or deduction: it was not posted but sent
 * for approval, and the approval's state as it changes (the page refreshes while pending).
 */
import { Button, Text } from '@clickhouse/click-ui';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactElement } from 'react';
import { Link } from 'react-router-dom';
import type { ApprovalRequested } from '../../../src/contracts/index.js';
import { approvalKeys, useApproval } from '../api/approvals';
import { queryKeys } from '../api/queries';
import { ApprovalStatusBadge } from '../components/approval-status';
import { Money } from '../components/money';
import { ErrorMessage } from '../components/states';
import { formatDateTime } from '../lib/format';

export function ApprovalSent({
  requested,
  customerId,
  onAgain,
  onClose,
}: {
  readonly requested: ApprovalRequested;
  readonly customerId: string;
  readonly onAgain: () => void;
  readonly onClose: () => void;
}): ReactElement {
  const approval = useApproval(requested.approvalId);
  const queryClient = useQueryClient();
  const status = approval.data?.status ?? requested.status;
  useEffect(() => {
    // Decided: the lists change; approved, the entry is on the books now.
    if (status !== 'pending') void queryClient.invalidateQueries({ queryKey: approvalKeys.lists() });
    if (status === 'approved') {
      void queryClient.invalidateQueries({ queryKey: queryKeys.credit(customerId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.ledgerOf(customerId) });
    }
  }, [status, customerId, queryClient]);
  return (
    <div
      className="review"
      role="status"
      data-testid="credit-sent-for-approval"
      data-approval-id={requested.approvalId}
    >
      <Text>
        Sent for approval: the amount is at or above the limit that needs a second person, so nothing was posted yet. An
        admin must approve it before {formatDateTime(approval.data?.expiresAt ?? requested.expiresAt)}.
      </Text>
      <div className="row">
        <ApprovalStatusBadge status={status} testId="approval-sent-status" />
        {approval.data ? (
          <Text size="sm">
            <Money amount={approval.data.amount} currency={approval.data.currency} /> {approval.data.kind}
            {approval.data.decidedBy ? (
              <>
                {' '}
                · decided by <strong data-testid="approval-sent-decided-by">{approval.data.decidedBy}</strong>
              </>
            ) : null}
            {approval.data.decisionNote ? <> — “{approval.data.decisionNote}”</> : null}
          </Text>
        ) : null}
      </div>
      {approval.isError ? (
        <ErrorMessage
          error={approval.error}
          title="Could not load the approval"
          onRetry={() => void approval.refetch()}
          testId="approval-sent-error"
        />
      ) : null}
      <Text size="xs" color="muted">
        Approval{' '}
        <Link to={`/approvals/${encodeURIComponent(requested.approvalId)}`} data-testid="approval-sent-link">
          <code>{requested.approvalId}</code>
        </Link>
      </Text>
      <div className="form-actions">
        <Button type="secondary" label="New change" onClick={onAgain} data-testid="credit-again" />
        <Button type="primary" label="Close" onClick={onClose} data-testid="credit-close" />
      </div>
    </div>
  );
}
