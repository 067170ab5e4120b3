/**
 * Webhooks (admin): the endpoints that receive the service's events, adding one (its signing
 * secret shown once), and one endpoint's page — enable/disable, a test event, rotating the
 * secret, deleting it, and its delivery log with resend.
 */
import { Badge, Button, Table, Text, TextAreaField, TextField, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactElement } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import {
  WEBHOOK_EVENT_TYPES,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookEndpointDeleted,
  WebhookSecretRotated,
  WebhookTestResult,
  type WebhookEndpoint as WebhookEndpointView,
  type WebhookEventType,
} from '../../../src/contracts/index.js';
import { apiRequest } from '../api/client';
import { useWebhookEndpoint, useWebhookEndpoints, webhookKeys } from '../api/webhooks';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { WorkflowLink } from '../features/attempt-table';
import { answerOf, WebhookDeliveries } from '../features/webhook-deliveries';
import { SecretReveal } from '../features/webhook-secret';
import { formatDateTime } from '../lib/format';
import { useDocumentTitle } from '../lib/use-document-title';
import { isNotFound, ResourceNotFound } from './not-found';

/** What each event type means, for the checkboxes of the form. */
const EVENT_TYPE_HINT = {
  'purchase.completed': 'a purchase was paid and shipped',
  'purchase.failed': 'a purchase attempt failed (nothing charged)',
  'refund.created': 'a purchase was refunded, in part or in full',
  'credit.granted': 'credit was added to an account',
  'credit.deducted': 'credit was taken from an account',
  'approval.requested': 'a large credit change waits for an admin',
  'approval.decided': 'an approval was approved, rejected or expired',
  'reconciliation.finding': 'reconciliation found something in the books',
} as const satisfies Record<WebhookEventType, string>;

function endpointPath(id: string): string {
  return `/admin/webhooks/${encodeURIComponent(id)}`;
}

export function EndpointStatusBadge({ endpoint }: { readonly endpoint: WebhookEndpointView }): ReactElement {
  return (
    <Badge
      text={endpoint.status === 'enabled' ? 'Enabled' : 'Disabled'}
      state={endpoint.status === 'enabled' ? 'success' : 'warning'}
      size="sm"
      data-testid="webhook-status"
      data-status={endpoint.status}
    />
  );
}

/** "Disabled by root on …: maintenance", or by the service itself when the retry budget ran out. */
function disabledText(endpoint: WebhookEndpointView): string | null {
  const off = endpoint.disabled;
  if (!off) return null;
  const who = off.by === 'system' ? 'automatically (retries exhausted)' : `by ${off.by}`;
  return `Disabled ${who} on ${formatDateTime(off.at)}: ${off.reason}`;
}

function TypeList({ types }: { readonly types: readonly string[] }): ReactElement {
  return (
    <span className="type-list" data-testid="webhook-types">
      {types.map((type) => (
        <code key={type}>{type}</code>
      ))}
    </span>
  );
}

export function WebhooksPage(): ReactElement {
  useDocumentTitle('Webhooks');
  const pages = useCursorPages();
  const endpoints = useWebhookEndpoints(pages.cursor);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<WebhookEndpointCreated | null>(null);
  const rows = endpoints.data?.data ?? [];
  return (
    <section className="page" aria-labelledby="webhooks-title" data-testid="webhooks-page">
      <Text size="sm">
        <Link to="/admin">← Administration</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="webhooks-title">
          Webhooks
        </Title>
        {!adding && !created ? (
          <Button
            type="primary"
            iconLeft="plus"
            label="Add endpoint"
            onClick={() => setAdding(true)}
            data-testid="webhook-add"
          />
        ) : null}
      </div>
      <Text color="muted">
        URLs that receive the service’s events (purchases, refunds, credit changes, approvals, reconciliation findings)
        as they happen, in order, each signed with the endpoint’s secret (Standard Webhooks). A delivery that fails is
        retried with backoff.
      </Text>
      {adding ? (
        <WebhookEndpointForm
          onClose={() => setAdding(false)}
          onCreated={(endpoint) => {
            setAdding(false);
            setCreated(endpoint);
          }}
        />
      ) : null}
      {created ? (
        <SecretReveal
          secret={created.secret}
          title="Endpoint added: its signing secret"
          onDone={() => setCreated(null)}
          testId="webhook-created-secret"
        >
          <Text size="sm">
            Deliveries to <code>{created.url}</code> start with the next event. Give the secret to the receiver so that
            it can verify each delivery’s <code>webhook-signature</code>.{' '}
            <Link to={endpointPath(created.id)} data-testid="webhook-created-open">
              Open the endpoint
            </Link>{' '}
            (the secret is not shown there).
          </Text>
        </SecretReveal>
      ) : null}
      {endpoints.isPending ? <Loading what="webhook endpoints" /> : null}
      {endpoints.isError ? (
        <ErrorMessage
          error={endpoints.error}
          title="Could not load the webhook endpoints"
          onRetry={() => void endpoints.refetch()}
          testId="webhooks-error"
        />
      ) : null}
      {endpoints.data && rows.length === 0 ? (
        <EmptyState testId="webhooks-empty">No webhook endpoints yet. Add one to receive events.</EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <Table
          headers={[
            { label: 'URL' },
            { label: 'Event types', width: '240px' },
            { label: 'Status', width: '240px' },
            { label: 'Created', width: '225px' },
          ]}
          rows={rows.map((endpoint) => ({
            id: endpoint.id,
            'data-testid': 'webhook-row',
            'data-endpoint-id': endpoint.id,
            'data-status': endpoint.status,
            items: [
              {
                label: (
                  <span className="stacked">
                    <Link to={endpointPath(endpoint.id)} data-testid="webhook-link">
                      <code className="url">{endpoint.url}</code>
                    </Link>
                    {endpoint.description ? <span className="muted-small">{endpoint.description}</span> : null}
                  </span>
                ),
                overflowMode: 'wrap',
              },
              { label: <TypeList types={endpoint.types} />, overflowMode: 'wrap' },
              {
                label: (
                  <span className="stacked">
                    <span>
                      <EndpointStatusBadge endpoint={endpoint} />
                    </span>
                    {endpoint.disabled ? (
                      <span className="muted-small" data-testid="webhook-disabled-reason">
                        {disabledText(endpoint)}
                      </span>
                    ) : null}
                  </span>
                ),
                overflowMode: 'wrap',
              },
              { label: <time dateTime={endpoint.createdAt}>{formatDateTime(endpoint.createdAt)}</time> },
            ],
          }))}
          size="sm"
          className="data-table"
          aria-label="Webhook endpoints"
          aria-busy={endpoints.isFetching}
          data-testid="webhooks-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={endpoints.data?.nextCursor}
        busy={endpoints.isFetching}
        testId="webhooks-pager"
        label="Webhook endpoints"
      />
    </section>
  );
}

interface Draft {
  url: string;
  types: readonly WebhookEventType[];
  description: string;
}
type DraftErrors = Partial<Record<keyof Draft, string>>;

function WebhookEndpointForm({
  onClose,
  onCreated,
}: {
  readonly onClose: () => void;
  readonly onCreated: (endpoint: WebhookEndpointCreated) => void;
}): ReactElement {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>({ url: '', types: [], description: '' });
  const [errors, setErrors] = useState<DraftErrors>({});
  const mutation = useMutation({
    mutationFn: (body: WebhookEndpointCreate) =>
      apiRequest(WebhookEndpointCreated, '/v1/webhook-endpoints', { method: 'POST', body }),
    onSuccess: (endpoint) => onCreated(endpoint),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: webhookKeys.all() });
    },
  });
  const toggle = (type: WebhookEventType, on: boolean): void => {
    setErrors((e) => ({ ...e, types: undefined }));
    setDraft((d) => ({
      ...d,
      // Kept in the contract's order, whatever order they were ticked in.
      types: WEBHOOK_EVENT_TYPES.filter((t) => (t === type ? on : d.types.includes(t))),
    }));
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const description = draft.description.trim();
    const body = { url: draft.url.trim(), types: [...draft.types], ...(description ? { description } : {}) };
    const checked = WebhookEndpointCreate.safeParse(body);
    if (!checked.success) {
      const next: DraftErrors = {};
      for (const issue of checked.error.issues) {
        const field = String(issue.path[0] ?? 'url');
        const key: keyof Draft = field === 'types' || field === 'description' ? field : 'url';
        next[key] ??= key === 'types' && draft.types.length === 0 ? 'Choose at least one event type.' : issue.message;
      }
      setErrors(next);
      return;
    }
    setErrors({});
    mutation.mutate(checked.data);
  };
  return (
    <section className="panel form-panel" aria-labelledby="webhook-form-title" data-testid="webhook-form">
      <Title type="h2" size="md" id="webhook-form-title">
        Add a webhook endpoint
      </Title>
      <form onSubmit={submit} noValidate className="form-grid">
        <TextField
          id="webhook-url"
          label="URL (https; receives a POST per event)"
          value={draft.url}
          onChange={(url: string) => setDraft((d) => ({ ...d, url }))}
          error={errors.url}
          placeholder="https://hooks.example.com/purchase-ledger"
          data-testid="webhook-form-url"
        />
        <fieldset className="checkbox-group" aria-describedby={errors.types ? 'webhook-types-error' : undefined}>
          <legend>Event types</legend>
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type} className="checkbox-option">
              <input
                type="checkbox"
                checked={draft.types.includes(type)}
                onChange={(e) => toggle(type, e.target.checked)}
                data-testid={`webhook-form-type-${type}`}
              />
              <span>
                <code>{type}</code> <span className="muted-small">— {EVENT_TYPE_HINT[type]}</span>
              </span>
            </label>
          ))}
          {errors.types ? (
            <span className="field-error" id="webhook-types-error">
              {errors.types}
            </span>
          ) : null}
        </fieldset>
        <TextAreaField
          id="webhook-description"
          label="Description (optional: who runs the receiver, what it is for)"
          value={draft.description}
          onChange={(description: string) => setDraft((d) => ({ ...d, description }))}
          rows={2}
          maxLength={500}
          error={errors.description}
          data-testid="webhook-form-description"
        />
        {mutation.error ? (
          <ErrorMessage error={mutation.error} title="The endpoint was not added" testId="webhook-form-error" />
        ) : null}
        <div className="form-actions">
          <Button
            htmlType="submit"
            type="primary"
            label="Add endpoint"
            loading={mutation.isPending}
            disabled={mutation.isPending}
            data-testid="webhook-form-save"
          />
          <Button
            type="secondary"
            label="Cancel"
            onClick={onClose}
            disabled={mutation.isPending}
            data-testid="webhook-form-cancel"
          />
        </div>
      </form>
    </section>
  );
}

type Confirming = 'disable' | 'rotate' | 'delete' | null;

export function WebhookEndpointPage(): ReactElement {
  const { endpointId = '' } = useParams();
  useDocumentTitle(`Webhook endpoint ${endpointId}`);
  const endpoint = useWebhookEndpoint(endpointId);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const path = `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}`;
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [reason, setReason] = useState('');
  const [rotated, setRotated] = useState<WebhookSecretRotated | null>(null);
  const invalidate = (): void => {
    void queryClient.invalidateQueries({ queryKey: webhookKeys.all() });
  };
  const setStatus = useMutation({
    mutationFn: (body: { status: 'enabled' } | { status: 'disabled'; reason?: string }) =>
      apiRequest(WebhookEndpoint, path, { method: 'PATCH', body }),
    onSuccess: (updated) => {
      queryClient.setQueryData(webhookKeys.one(endpointId), updated);
      setConfirming(null);
      setReason('');
    },
    onSettled: invalidate,
  });
  const test = useMutation({
    mutationFn: () => apiRequest(WebhookTestResult, `${path}/test`, { method: 'POST' }),
    onSettled: invalidate,
  });
  const rotate = useMutation({
    mutationFn: () => apiRequest(WebhookSecretRotated, `${path}/secret/rotate`, { method: 'POST' }),
    onSuccess: (result) => {
      setConfirming(null);
      setRotated(result);
    },
    onSettled: invalidate,
  });
  const remove = useMutation({
    mutationFn: () => apiRequest(WebhookEndpointDeleted, path, { method: 'DELETE' }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: webhookKeys.one(endpointId) });
      navigate('/admin/webhooks');
    },
    onSettled: invalidate,
  });
  // A 404 on a later read (deleted elsewhere) replaces what was shown; another failure keeps it beside the error.
  const gone = endpoint.isError && isNotFound(endpoint.error, 'webhook_endpoint_not_found');
  const data = gone ? undefined : endpoint.data;
  const busy = setStatus.isPending || rotate.isPending || remove.isPending;
  // Refusals of an action, beside the actions; still shown when the endpoint turned out to be gone (deleted elsewhere).
  const refusals = (
    <>
      {setStatus.error ? (
        <ErrorMessage error={setStatus.error} title="The change was refused" testId="webhook-status-error" />
      ) : null}
      {rotate.error ? (
        <ErrorMessage error={rotate.error} title="The secret was not rotated" testId="webhook-rotate-error" />
      ) : null}
      {remove.error ? (
        <ErrorMessage error={remove.error} title="The endpoint was not deleted" testId="webhook-delete-error" />
      ) : null}
      {test.error ? (
        <ErrorMessage error={test.error} title="The test event was not sent" testId="webhook-test-error" />
      ) : null}
    </>
  );
  return (
    <section className="page" aria-labelledby="webhook-title" data-testid="webhook-endpoint-page">
      <Text size="sm">
        <Link to="/admin/webhooks">← Webhooks</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="webhook-title">
          Webhook endpoint
        </Title>
        {data ? <EndpointStatusBadge endpoint={data} /> : null}
      </div>
      {endpoint.isPending ? <Loading what="the webhook endpoint" /> : null}
      {gone ? (
        <ResourceNotFound what="webhook endpoint" id={endpointId}>
          It may have been deleted. See <Link to="/admin/webhooks">all webhook endpoints</Link>.
        </ResourceNotFound>
      ) : null}
      {gone ? refusals : null}
      {endpoint.isError && !gone ? (
        <ErrorMessage
          error={endpoint.error}
          title="Could not load the webhook endpoint"
          onRetry={() => void endpoint.refetch()}
          testId="webhook-error"
        />
      ) : null}
      {data ? (
        <>
          <dl className="facts" data-testid="webhook-facts">
            <div>
              <dt>URL</dt>
              <dd>
                <code className="url" data-testid="webhook-url">
                  {data.url}
                </code>
              </dd>
            </div>
            <div>
              <dt>Event types</dt>
              <dd>
                <TypeList types={data.types} />
              </dd>
            </div>
            <div>
              <dt>Description</dt>
              <dd>{data.description ?? '—'}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatDateTime(data.createdAt)}</dd>
            </div>
            <div>
              <dt>Delivered up to event</dt>
              <dd data-testid="webhook-cursor">#{data.lastDeliveredSequence}</dd>
            </div>
            <div>
              <dt>Secret</dt>
              <dd data-testid="webhook-secret-state">
                {data.previousSecretExpiresAt
                  ? `Rotated: the previous secret also signs until ${formatDateTime(data.previousSecretExpiresAt)}`
                  : 'One secret signs'}
              </dd>
            </div>
            <div>
              <dt>Delivery workflow</dt>
              <dd>
                <WorkflowLink workflowId={data.workflowId} />
              </dd>
            </div>
            <div>
              <dt>Id</dt>
              <dd>
                <code>{data.id}</code>
              </dd>
            </div>
          </dl>
          {data.disabled ? (
            <div className="notice" role="status" data-testid="webhook-disabled">
              <Text>
                <strong>{disabledText(data)}</strong>
              </Text>
              <Text size="sm" color="muted">
                Nothing is delivered while it is disabled. Enabled again, it resumes with the first event it has not
                acknowledged: nothing is skipped.
              </Text>
            </div>
          ) : null}
          <div className="row" role="group" aria-label="Endpoint actions">
            {data.status === 'enabled' ? (
              <Button
                type="secondary"
                label="Disable…"
                onClick={() => setConfirming('disable')}
                disabled={confirming !== null || busy}
                data-testid="webhook-disable"
              />
            ) : (
              <Button
                type="primary"
                label="Enable"
                onClick={() => setStatus.mutate({ status: 'enabled' })}
                loading={setStatus.isPending}
                disabled={busy}
                data-testid="webhook-enable"
              />
            )}
            <Button
              type="secondary"
              label={test.isPending ? 'Sending test event…' : 'Send test event'}
              onClick={() => test.mutate()}
              loading={test.isPending}
              disabled={test.isPending || busy}
              data-testid="webhook-test"
            />
            <Button
              type="secondary"
              label="Rotate secret…"
              onClick={() => setConfirming('rotate')}
              disabled={confirming !== null || busy}
              data-testid="webhook-rotate"
            />
            <Button
              type="danger"
              label="Delete…"
              onClick={() => setConfirming('delete')}
              disabled={confirming !== null || busy}
              data-testid="webhook-delete"
            />
          </div>
          {confirming ? (
            <Confirm
              kind={confirming}
              endpoint={data}
              reason={reason}
              onReason={setReason}
              pending={busy}
              onYes={() => {
                if (confirming === 'disable')
                  setStatus.mutate({ status: 'disabled', ...(reason.trim() ? { reason: reason.trim() } : {}) });
                else if (confirming === 'rotate') rotate.mutate();
                else remove.mutate();
              }}
              onNo={() => setConfirming(null)}
            />
          ) : null}
          {refusals}
          {test.data ? <TestOutcome result={test.data} onDismiss={() => test.reset()} /> : null}
          {rotated ? (
            <SecretReveal
              secret={rotated.secret}
              title="Secret rotated: the new signing secret"
              onDone={() => setRotated(null)}
              testId="webhook-rotated-secret"
            >
              <Text size="sm" data-testid="webhook-rotated-overlap">
                Until <strong>{formatDateTime(rotated.previousSecretExpiresAt)}</strong> every delivery carries two
                signatures, one with the old secret and one with this new one; after that only the new secret signs.
                Update the receiver before then.
              </Text>
            </SecretReveal>
          ) : null}
          <WebhookDeliveries endpoint={data} />
        </>
      ) : null}
    </section>
  );
}

function Confirm({
  kind,
  endpoint,
  reason,
  onReason,
  pending,
  onYes,
  onNo,
}: {
  readonly kind: Exclude<Confirming, null>;
  readonly endpoint: WebhookEndpointView;
  readonly reason: string;
  readonly onReason: (reason: string) => void;
  readonly pending: boolean;
  readonly onYes: () => void;
  readonly onNo: () => void;
}): ReactElement {
  const text = {
    disable: (
      <>
        Disable deliveries to <code>{endpoint.url}</code>? Events keep being recorded; enabled again, the endpoint
        receives every one it missed, in order.
      </>
    ),
    rotate: (
      <>
        Make a new signing secret? It is shown once. The current secret keeps signing too for a while (you will see
        until when), so the receiver can switch without refusing a delivery.
      </>
    ),
    delete: (
      <>
        Delete the endpoint <code>{endpoint.url}</code>? Deliveries stop at once, and the endpoint and its delivery log
        are no longer shown. This cannot be undone: to receive events again, add the URL anew (with a new secret).
      </>
    ),
  }[kind];
  const yes = { disable: 'Disable endpoint', rotate: 'Rotate secret', delete: 'Delete endpoint' }[kind];
  return (
    <div
      className="panel form-panel"
      role="alertdialog"
      aria-labelledby="webhook-confirm-text"
      data-testid="webhook-confirm"
      data-kind={kind}
    >
      <Text id="webhook-confirm-text">{text}</Text>
      {kind === 'disable' ? (
        <TextAreaField
          id="webhook-disable-reason"
          label="Reason (optional; recorded with your name)"
          value={reason}
          onChange={onReason}
          rows={2}
          maxLength={500}
          data-testid="webhook-disable-reason"
        />
      ) : null}
      <div className="form-actions">
        <Button
          type={kind === 'rotate' ? 'primary' : 'danger'}
          label={yes}
          loading={pending}
          disabled={pending}
          onClick={onYes}
          data-testid="webhook-confirm-yes"
        />
        <Button type="secondary" label="Cancel" onClick={onNo} disabled={pending} data-testid="webhook-confirm-no" />
      </div>
    </div>
  );
}

function TestOutcome({
  result,
  onDismiss,
}: {
  readonly result: WebhookTestResult;
  readonly onDismiss: () => void;
}): ReactElement {
  const { delivery } = result;
  return (
    <div
      className={`notice outcome-notice${delivery.succeeded ? '' : ' notice-failed'}`}
      role="status"
      data-testid="webhook-test-outcome"
      data-succeeded={String(delivery.succeeded)}
    >
      <span className="row">
        <Badge
          text={delivery.succeeded ? 'Delivered' : 'Failed'}
          state={delivery.succeeded ? 'success' : 'danger'}
          size="sm"
        />
        <Text>
          Test event <code>{result.eventId}</code>:{' '}
          {delivery.succeeded
            ? `the receiver accepted it (${answerOf(delivery)}, ${delivery.durationMs} ms).`
            : `the delivery failed (${answerOf(delivery)}, ${delivery.durationMs} ms). A test is not retried.`}
        </Text>
      </span>
      <Button type="secondary" label="Dismiss" onClick={onDismiss} data-testid="webhook-test-dismiss" />
    </div>
  );
}
