/**
 * Stuck purchases (admin): pending attempts older than a threshold, with their stage, last
 * error, age and hold; Cancel runs the saga's `cancelPurchase` update with a reason, and the
 * outcome is shown once the saga has ended (released hold, or committed when the platform
 * turned out to have the shipment).
 */
import { Button, Table, Text, TextAreaField, Title } from '@clickhouse/click-ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { PurchaseAttempt, PurchaseAttemptSummary } from '../../../src/contracts/index.js';
import { apiRequest } from '../api/client';
import { queryKeys } from '../api/queries';
import { POLL_MS, serviceKeys, useAttempts } from '../api/service-queries';
import { Money } from '../components/money';
import { ShortId } from '../components/short-id';
import { Pager, useCursorPages } from '../components/pager';
import { SelectField } from '../components/select-field';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { WorkflowLink } from '../features/attempt-table';
import { formatAge, formatDateTime, humanize } from '../lib/format';
import { formatMoney } from '../lib/money';
import { useDocumentTitle } from '../lib/use-document-title';

const THRESHOLDS = [
  { value: '0', label: 'Any age' },
  { value: '1', label: 'Older than 1 minute' },
  { value: '5', label: 'Older than 5 minutes' },
  { value: '15', label: 'Older than 15 minutes' },
  { value: '60', label: 'Older than 1 hour' },
] as const;
const DEFAULT_THRESHOLD = '5';

/** The clock the ages and the threshold are measured against, ticking every few seconds. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function StuckPurchasesPage(): ReactElement {
  useDocumentTitle('Stuck purchases');
  const [params, setParams] = useSearchParams();
  const threshold = THRESHOLDS.some((t) => t.value === params.get('olderThan'))
    ? (params.get('olderThan') ?? DEFAULT_THRESHOLD)
    : DEFAULT_THRESHOLD;
  const now = useNow(10_000);
  const createdTo = useMemo(() => new Date(now - Number(threshold) * 60_000).toISOString(), [now, threshold]);
  const pages = useCursorPages();
  const attempts = useAttempts({ status: 'pending', createdTo }, pages.cursor);
  const rows = attempts.data?.data ?? [];
  const [cancelling, setCancelling] = useState<PurchaseAttemptSummary | null>(null);
  const [outcomeOf, setOutcomeOf] = useState<{
    readonly before: PurchaseAttemptSummary;
    readonly after: PurchaseAttemptSummary;
  } | null>(null);

  return (
    <section className="page" aria-labelledby="stuck-title" data-testid="stuck-page">
      <Text size="sm">
        <Link to="/admin">← Administration</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="stuck-title">
          Stuck purchases
        </Title>
        <Text color="muted">
          Purchases still running after the threshold. A saga waiting on the platform (stage Shipping or Verifying
          shipment) can be cancelled.
        </Text>
      </div>
      <div className="filters filters-inline">
        <SelectField
          id="stuck-threshold"
          label="Pending for"
          value={threshold}
          onChange={(value) => setParams(new URLSearchParams({ olderThan: value }))}
          options={THRESHOLDS}
          testId="stuck-threshold"
        />
      </div>
      {outcomeOf ? (
        <CancelOutcome before={outcomeOf.before} after={outcomeOf.after} onDismiss={() => setOutcomeOf(null)} />
      ) : null}
      {cancelling ? (
        <CancelForm
          attempt={cancelling}
          onClose={() => setCancelling(null)}
          onDone={(after) => {
            setOutcomeOf({ before: cancelling, after });
            setCancelling(null);
          }}
        />
      ) : null}
      {attempts.isPending ? <Loading what="pending purchases" /> : null}
      {attempts.isError ? (
        <ErrorMessage
          error={attempts.error}
          title="Could not load pending purchases"
          onRetry={() => void attempts.refetch()}
          testId="stuck-error"
        />
      ) : null}
      {attempts.data && rows.length === 0 ? (
        <EmptyState testId="stuck-empty">No purchase has been pending for that long.</EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <Table
          headers={[
            { label: 'Started', width: '225px' },
            { label: 'Attempt', width: '170px' },
            { label: 'Holds', width: '90px' },
            { label: 'Stage', width: '150px' },
            { label: 'Last error' },
            { label: 'Saga', width: '110px' },
            { label: '', width: '120px' },
          ]}
          rows={rows.map((attempt) => ({
            id: attempt.id,
            'data-testid': 'stuck-row',
            'data-attempt-id': attempt.id,
            'data-stage': attempt.stage,
            items: [
              {
                label: (
                  <span className="stacked">
                    <time dateTime={attempt.createdAt}>{formatDateTime(attempt.createdAt)}</time>
                    <Text component="span" size="xs" color="muted">
                      pending for <span data-testid="stuck-age">{formatAge(now - Date.parse(attempt.createdAt))}</span>
                    </Text>
                  </span>
                ),
              },
              {
                label: (
                  <span className="stacked">
                    <ShortId id={attempt.id} />
                    <Link to={`/customers/${encodeURIComponent(attempt.customerId)}`}>{attempt.customerId}</Link>
                  </span>
                ),
              },
              {
                label:
                  attempt.holdAmount !== undefined && attempt.currency ? (
                    <Money amount={attempt.holdAmount} currency={attempt.currency} testId="stuck-hold" />
                  ) : (
                    '—'
                  ),
              },
              { label: <span data-testid="stuck-stage">{humanize(attempt.stage)}</span> },
              {
                label: (
                  <span data-testid="stuck-last-error">
                    {attempt.lastError ?? '—'}
                    {attempt.cancellation ? (
                      <Text component="span" size="xs" color="muted" data-testid="attempt-cancellation">
                        {' '}
                        Cancel asked by <strong>{attempt.cancellation.actor}</strong>: “{attempt.cancellation.reason}”
                      </Text>
                    ) : null}
                  </span>
                ),
                overflowMode: 'wrap',
              },
              { label: <WorkflowLink workflowId={attempt.workflowId} /> },
              {
                label: (
                  <Button
                    type="danger"
                    label="Cancel…"
                    onClick={() => {
                      setOutcomeOf(null);
                      setCancelling(attempt);
                    }}
                    disabled={
                      cancelling !== null || (attempt.stage !== 'shipping' && attempt.stage !== 'verifying_shipment')
                    }
                    title={
                      attempt.stage === 'shipping' || attempt.stage === 'verifying_shipment'
                        ? undefined
                        : 'Only a purchase waiting on the platform can be cancelled'
                    }
                    data-testid="stuck-cancel-open"
                  />
                ),
              },
            ],
          }))}
          size="sm"
          className="data-table"
          aria-label="Stuck purchases"
          aria-busy={attempts.isFetching}
          data-testid="stuck-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={attempts.data?.nextCursor}
        busy={attempts.isFetching}
        testId="stuck-pager"
        label="Stuck purchases"
      />
    </section>
  );
}

function CancelForm({
  attempt,
  onClose,
  onDone,
}: {
  readonly attempt: PurchaseAttemptSummary;
  readonly onClose: () => void;
  readonly onDone: (after: PurchaseAttemptSummary) => void;
}): ReactElement {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const mutation = useMutation({
    mutationFn: (body: { reason: string }) =>
      apiRequest(PurchaseAttemptSummary, `/v1/purchase-attempts/${encodeURIComponent(attempt.id)}/cancel`, {
        method: 'POST',
        body,
      }),
    onSuccess: (after) => onDone(after),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: serviceKeys.attemptsAll() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.credit(attempt.customerId) });
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!reason.trim()) {
      setError('Say why: it is recorded with your name and shown to whoever reads this purchase.');
      return;
    }
    setError(null);
    mutation.mutate({ reason: reason.trim() });
  };
  return (
    <section className="panel form-panel" aria-labelledby="cancel-title" data-testid="cancel-form">
      <Title type="h3" size="md" id="cancel-title" ref={heading} tabIndex={-1}>
        Cancel purchase <code>{attempt.id}</code>
      </Title>
      <Text size="sm">
        The saga stops retrying the shipment and asks the platform once more whether it exists: if it does, the purchase
        completes (too late to cancel); if not, the hold
        {attempt.holdAmount !== undefined && attempt.currency ? (
          <>
            {' '}
            of <strong>{formatMoney(attempt.holdAmount, attempt.currency)}</strong>
          </>
        ) : null}{' '}
        is released and the customer is not charged.
      </Text>
      <form onSubmit={submit} noValidate className="form-grid">
        <TextAreaField
          id="cancel-reason"
          label="Reason (recorded with your name)"
          value={reason}
          onChange={setReason}
          rows={2}
          maxLength={500}
          error={error ?? undefined}
          data-testid="cancel-reason"
        />
        {mutation.error ? (
          <ErrorMessage error={mutation.error} title="The cancel was refused" testId="cancel-error" />
        ) : null}
        <div className="form-actions">
          <Button
            htmlType="submit"
            type="danger"
            label={mutation.isPending ? 'Cancelling…' : 'Cancel purchase'}
            loading={mutation.isPending}
            disabled={mutation.isPending}
            data-testid="cancel-confirm"
          />
          <Button
            type="secondary"
            label="Keep waiting"
            onClick={onClose}
            disabled={mutation.isPending}
            data-testid="cancel-close"
          />
        </div>
      </form>
    </section>
  );
}

/** What became of a cancelled saga; while it still ends (the API answered 202), its attempt is read until it has. */
function CancelOutcome({
  before,
  after,
  onDismiss,
}: {
  readonly before: PurchaseAttemptSummary;
  readonly after: PurchaseAttemptSummary;
  readonly onDismiss: () => void;
}): ReactElement {
  const live = useQuery({
    queryKey: ['attempt', after.id],
    queryFn: ({ signal }) =>
      apiRequest(PurchaseAttempt, `/v1/purchase-attempts/${encodeURIComponent(after.id)}`, { signal }),
    enabled: after.status === 'pending',
    refetchInterval: (query) => (query.state.data && query.state.data.status !== 'pending' ? false : POLL_MS),
  });
  const status = after.status === 'pending' ? (live.data?.status ?? 'pending') : after.status;
  const error = after.status === 'pending' ? live.data?.error : after.error;
  const held =
    before.holdAmount !== undefined && before.currency ? formatMoney(before.holdAmount, before.currency) : null;
  let message: ReactElement;
  if (status === 'pending') {
    message = <Text>The saga accepted the cancel and is ending…</Text>;
  } else if (status === 'completed') {
    message = (
      <Text>
        Too late to cancel: the platform had the shipment, so the purchase{' '}
        <Link to={`/purchases/${encodeURIComponent(after.id)}`}>completed</Link>.
      </Text>
    );
  } else {
    message = (
      <Text>
        Cancelled.{' '}
        {held ? (
          <>
            The hold of <strong data-testid="cancel-outcome-released">{held}</strong> was released
          </>
        ) : (
          'Nothing is held any more'
        )}
        ; the caller gets <code>{error?.code ?? 'purchase_cancelled'}</code>
        {error?.detail ? <>: “{error.detail}”</> : null}.{' '}
        <Link to={`/customers/${encodeURIComponent(before.customerId)}`} data-testid="cancel-outcome-customer">
          See the customer’s credit
        </Link>
      </Text>
    );
  }
  return (
    <div className="notice outcome-notice" role="status" data-testid="cancel-outcome" data-outcome={status}>
      {message}
      <Button type="secondary" label="Dismiss" onClick={onDismiss} data-testid="cancel-outcome-dismiss" />
    </div>
  );
}
