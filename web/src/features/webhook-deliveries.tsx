/**
 * The delivery log of one webhook endpoint, newest attempt first: the event, the attempt, what
 * the receiver answered (or why no answer came), how long it took and when the next try is
 * due. Failed attempts are marked; an event of the feed can be delivered again (resend).
 */
import { Badge, Button, Table, Text, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import { WebhookResendAccepted, type WebhookDelivery, type WebhookEndpoint } from '../../../src/contracts/index.js';
import { apiRequest } from '../api/client';
import { useWebhookDeliveries, webhookKeys } from '../api/webhooks';
import { Pager, useCursorPages } from '../components/pager';
import { ShortId } from '../components/short-id';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { formatDateTime } from '../lib/format';

const KIND_LABEL = { event: 'Event', resend: 'Resend', test: 'Test' } as const satisfies Record<
  WebhookDelivery['kind'],
  string
>;

/** "HTTP 503", "timed out", "HTTP 500 · connection reset": the status, and the error when it says more. */
export function answerOf(delivery: WebhookDelivery): string {
  const status = delivery.httpStatus !== null ? `HTTP ${delivery.httpStatus}` : null;
  const error = delivery.error && delivery.error !== status ? delivery.error : null;
  return [status, error].filter(Boolean).join(' · ') || (delivery.succeeded ? 'Accepted' : 'No answer');
}

function nextRetryOf(delivery: WebhookDelivery): ReactElement | string {
  if (delivery.succeeded) return '—';
  if (delivery.nextRetryAt)
    return (
      <time dateTime={delivery.nextRetryAt} data-testid="delivery-next-retry">
        {formatDateTime(delivery.nextRetryAt)}
      </time>
    );
  return delivery.kind === 'test' ? 'Not retried (test)' : 'No more retries';
}

function DeliveryResult({ delivery }: { readonly delivery: WebhookDelivery }): ReactElement {
  return (
    <span className="delivery-result" data-testid="delivery-result">
      <Badge
        text={delivery.succeeded ? 'Delivered' : 'Failed'}
        state={delivery.succeeded ? 'success' : 'danger'}
        size="sm"
        data-testid="delivery-outcome"
      />
      <span data-testid="delivery-answer">{answerOf(delivery)}</span>
    </span>
  );
}

export function WebhookDeliveries({ endpoint }: { readonly endpoint: WebhookEndpoint }): ReactElement {
  const pages = useCursorPages();
  const deliveries = useWebhookDeliveries(endpoint.id, pages.cursor);
  const queryClient = useQueryClient();
  const [resent, setResent] = useState<WebhookResendAccepted | null>(null);
  const resend = useMutation({
    mutationFn: (eventId: string) =>
      apiRequest(WebhookResendAccepted, `/v1/webhook-endpoints/${encodeURIComponent(endpoint.id)}/resend`, {
        method: 'POST',
        body: { eventId },
      }),
    onSuccess: (accepted) => setResent(accepted),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: webhookKeys.deliveriesOf(endpoint.id) });
    },
  });
  const enabled = endpoint.status === 'enabled';
  const rows = deliveries.data?.data ?? [];
  // A new attempt may have moved the endpoint (its cursor, or disabled by the service when retries ran out): read it again.
  const newest = pages.cursor === null ? rows[0]?.id : undefined;
  const seen = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (newest === undefined) return;
    if (seen.current !== undefined && seen.current !== newest)
      void queryClient.invalidateQueries({ queryKey: webhookKeys.one(endpoint.id), exact: true });
    seen.current = newest;
  }, [newest, endpoint.id, queryClient]);
  return (
    <section className="section" aria-labelledby="deliveries-title" data-testid="webhook-deliveries">
      <div className="section-header">
        <Title type="h2" size="md" id="deliveries-title">
          Recent deliveries
        </Title>
        <Button
          type="secondary"
          iconLeft="refresh"
          label="Refresh"
          onClick={() => void deliveries.refetch()}
          disabled={deliveries.isFetching}
          data-testid="deliveries-refresh"
        />
      </div>
      <Text size="sm" color="muted">
        Every attempt, newest first (this page refreshes itself). A failed event is retried with backoff until it is
        accepted — later events wait behind it, so the order is kept. “Resend” delivers an event once more, with the
        same <code>webhook-id</code>.{!enabled ? ' Enable the endpoint to resend.' : null}
      </Text>
      {resent ? (
        <div
          className="notice outcome-notice"
          role="status"
          data-testid="resend-started"
          data-event-id={resent.eventId}
        >
          <Text>
            Resending <code>{resent.eventId}</code>: its attempt appears below as a resend.
          </Text>
          <Button type="secondary" label="Dismiss" onClick={() => setResent(null)} data-testid="resend-dismiss" />
        </div>
      ) : null}
      {resend.error ? <ErrorMessage error={resend.error} title="The resend was refused" testId="resend-error" /> : null}
      {deliveries.isPending ? <Loading what="deliveries" /> : null}
      {deliveries.isError ? (
        <ErrorMessage
          error={deliveries.error}
          title="Could not load the deliveries"
          onRetry={() => void deliveries.refetch()}
          testId="deliveries-error"
        />
      ) : null}
      {deliveries.data && rows.length === 0 ? (
        <EmptyState testId="deliveries-empty">
          Nothing delivered yet. Events of the chosen types are sent as they happen; “Send test event” tries the URL
          now.
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <Table
          headers={[
            { label: 'Time', width: '225px' },
            { label: 'Event' },
            { label: 'Attempt', width: '75px' },
            { label: 'Result', width: '190px' },
            { label: 'Duration', width: '85px' },
            { label: 'Next retry', width: '225px' },
            { label: <span className="visually-hidden">Actions</span>, width: '115px' },
          ]}
          rows={rows.map((delivery) => ({
            id: delivery.id,
            className: delivery.succeeded ? undefined : 'delivery-failed',
            'data-testid': 'delivery-row',
            'data-event-id': delivery.eventId,
            'data-kind': delivery.kind,
            'data-succeeded': String(delivery.succeeded),
            items: [
              { label: <time dateTime={delivery.createdAt}>{formatDateTime(delivery.createdAt)}</time> },
              {
                label: (
                  <span className="stacked">
                    <span data-testid="delivery-event-type">
                      <code>{delivery.eventType}</code>
                      {delivery.kind !== 'event' ? (
                        <span className="muted-small"> · {KIND_LABEL[delivery.kind]}</span>
                      ) : null}
                    </span>
                    <span className="muted-small">
                      <ShortId id={delivery.eventId} />
                      {delivery.eventSequence !== null ? ` · #${delivery.eventSequence}` : null}
                    </span>
                  </span>
                ),
                overflowMode: 'wrap',
              },
              { label: <span data-testid="delivery-attempt">{delivery.attempt}</span> },
              { label: <DeliveryResult delivery={delivery} />, overflowMode: 'wrap' },
              { label: <span className="nowrap">{delivery.durationMs} ms</span> },
              { label: nextRetryOf(delivery) },
              {
                label:
                  delivery.kind === 'test' ? (
                    ''
                  ) : (
                    <Button
                      type="secondary"
                      label="Resend"
                      aria-label={`Resend event ${delivery.eventId}`}
                      disabled={!enabled || resend.isPending}
                      loading={resend.isPending && resend.variables === delivery.eventId}
                      onClick={() => {
                        setResent(null);
                        resend.mutate(delivery.eventId);
                      }}
                      data-testid="delivery-resend"
                    />
                  ),
              },
            ],
          }))}
          size="sm"
          className="data-table"
          aria-label="Deliveries"
          aria-busy={deliveries.isFetching}
          data-testid="deliveries-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={deliveries.data?.nextCursor}
        busy={deliveries.isFetching}
        testId="deliveries-pager"
        label="Deliveries"
      />
    </section>
  );
}
