/**
 * Purchase attempts as a rep reads them: what a pending one holds and where its saga is, why a
 * failed one failed (the problem body its caller got), a cancel with who and why, and the
 * saga in the Temporal Web UI.
 */
import { Badge, Table, Text } from '@clickhouse/click-ui';
import type { ReactElement, ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { PurchaseAttemptSummary } from '../../../src/contracts/index.js';
import { Money } from '../components/money';
import { ShortId } from '../components/short-id';
import { formatDateTime, humanize } from '../lib/format';
import { temporalWorkflowUrl } from '../lib/temporal';
import { useSession } from '../session';

export type AttemptKind = 'pending' | 'completed' | 'failed' | 'cancelled';

/** A failed attempt whose saga an admin cancelled reads "Cancelled", not just "Failed". */
export function attemptKind(attempt: PurchaseAttemptSummary): AttemptKind {
  if (attempt.status === 'failed' && attempt.error?.code === 'purchase_cancelled') return 'cancelled';
  return attempt.status;
}

const KIND_STATE = {
  pending: 'warning',
  completed: 'success',
  failed: 'danger',
  cancelled: 'neutral',
} as const satisfies Record<AttemptKind, string>;

export function AttemptStatusBadge({ attempt }: { readonly attempt: PurchaseAttemptSummary }): ReactElement {
  const kind = attemptKind(attempt);
  return <Badge text={humanize(kind)} state={KIND_STATE[kind]} size="sm" data-attempt-status={kind} />;
}

/** Why it failed, in the words the caller got: the problem's title, its detail and its code. */
export function AttemptReason({ attempt }: { readonly attempt: PurchaseAttemptSummary }): ReactElement {
  const parts: ReactNode[] = [];
  if (attempt.error) {
    parts.push(
      <span key="error" className="attempt-reason" data-testid="attempt-reason" data-error-code={attempt.error.code}>
        <strong>{attempt.error.title}.</strong> {attempt.error.detail}{' '}
        <Text component="span" size="xs" color="muted">
          (<code>{attempt.error.code}</code>)
        </Text>
      </span>,
    );
  } else if (attempt.status === 'pending') {
    parts.push(
      <span key="pending" data-testid="attempt-reason">
        {`Waiting: ${humanize(attempt.stage)}`}
        {attempt.lastError ? <> — last error: {attempt.lastError}</> : null}
      </span>,
    );
  } else if (attempt.purchaseId) {
    parts.push(
      <Link key="purchase" to={`/purchases/${encodeURIComponent(attempt.purchaseId)}`}>
        The purchase
      </Link>,
    );
  }
  if (attempt.cancellation) {
    parts.push(
      <Text key="cancel" component="span" size="xs" color="muted" data-testid="attempt-cancellation">
        {' '}
        Cancel asked by <strong>{attempt.cancellation.actor}</strong> (
        {formatDateTime(attempt.cancellation.requestedAt)}): “{attempt.cancellation.reason}”
      </Text>,
    );
  }
  return <>{parts}</>;
}

export function WorkflowLink({ workflowId }: { readonly workflowId: string }): ReactElement {
  const { me } = useSession();
  const url = temporalWorkflowUrl(me, workflowId);
  if (!url) return <code title={workflowId}>{workflowId}</code>;
  return (
    <a className="nowrap" href={url} target="_blank" rel="noreferrer" data-testid="attempt-temporal-link">
      Temporal <span aria-hidden>↗</span>
      <span className="visually-hidden"> workflow {workflowId} (opens in a new tab)</span>
    </a>
  );
}

export function AttemptTable({
  attempts,
  busy,
  showCustomer = true,
  testId = 'attempts-table',
}: {
  readonly attempts: readonly PurchaseAttemptSummary[];
  readonly busy: boolean;
  readonly showCustomer?: boolean;
  readonly testId?: string;
}): ReactElement {
  return (
    <Table
      headers={[
        { label: 'Created', width: '225px' },
        { label: 'Attempt', width: '160px' },
        ...(showCustomer ? [{ label: 'Customer', width: '130px' }] : []),
        { label: 'Product', width: '130px' },
        { label: 'Status', width: '110px' },
        { label: 'Holds', width: '90px' },
        { label: 'Why' },
        { label: 'Saga', width: '110px' },
      ]}
      rows={attempts.map((attempt) => ({
        id: attempt.id,
        'data-testid': 'attempt-row',
        'data-attempt-id': attempt.id,
        'data-attempt-status': attemptKind(attempt),
        items: [
          { label: <time dateTime={attempt.createdAt}>{formatDateTime(attempt.createdAt)}</time> },
          {
            label: attempt.purchaseId ? (
              <Link to={`/purchases/${encodeURIComponent(attempt.purchaseId)}`}>
                <ShortId id={attempt.id} />
              </Link>
            ) : (
              <ShortId id={attempt.id} />
            ),
          },
          ...(showCustomer
            ? [{ label: <Link to={`/customers/${encodeURIComponent(attempt.customerId)}`}>{attempt.customerId}</Link> }]
            : []),
          { label: <code>{attempt.productId}</code> },
          { label: <AttemptStatusBadge attempt={attempt} /> },
          {
            label:
              attempt.holdAmount !== undefined && attempt.currency ? (
                <Money amount={attempt.holdAmount} currency={attempt.currency} testId="attempt-hold" />
              ) : (
                '—'
              ),
          },
          { label: <AttemptReason attempt={attempt} />, overflowMode: 'wrap' },
          { label: <WorkflowLink workflowId={attempt.workflowId} /> },
        ],
      }))}
      size="sm"
      className="data-table"
      aria-label="Purchase attempts"
      aria-busy={busy}
      data-testid={testId}
    />
  );
}
