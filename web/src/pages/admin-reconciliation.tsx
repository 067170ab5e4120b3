/**
 * Reconciliation (admin): the runs (scheduled and manual) with their counts, each run's
 * findings — kind, severity, the account or purchase it is about (linked), what was done —
 * and "Start a run now".
 */
import { Badge, Button, Table, Text, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactElement } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { z } from 'zod';
import {
  ReconciliationRun,
  ReconciliationRunPending,
  type FindingSeverity,
  type ReconciliationFinding,
  type ReconciliationRunSummary,
} from '../../../src/contracts/index.js';
import { apiRequest } from '../api/client';
import { serviceKeys, useReconciliationRun, useReconciliationRuns } from '../api/service-queries';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { WorkflowLink } from '../features/attempt-table';
import { formatDateTime, humanize } from '../lib/format';
import { useDocumentTitle } from '../lib/use-document-title';
import { isNotFound, ResourceNotFound } from './not-found';

const SEVERITY_STATE = { error: 'danger', warning: 'warning', info: 'info' } as const satisfies Record<
  FindingSeverity,
  string
>;
const RUN_STATE = { running: 'info', completed: 'success', failed: 'danger' } as const satisfies Record<
  ReconciliationRunSummary['status'],
  string
>;

/** What reconciliation itself did about a finding; everything else it only reports, for a human. */
const ACTIONS: Readonly<Record<string, string>> = {
  orphaned_hold_released: 'Released the hold (its saga had ended): the credit is available again',
  orphan_shipment_cancelled: 'Cancelled the shipment on the platform (the purchase had failed)',
  hold_awaiting_running_workflow: 'Nothing: the saga is still running and will resolve the hold',
  orphan_shipment_check_failed: 'Nothing yet: the next run asks the platform again',
  shipment_check_failed: 'Nothing yet: the next run asks the platform again',
  hold_check_failed: 'Nothing yet: the next run checks again',
  hold_check_skipped: 'Nothing yet: the next run checks again',
};

function actionOf(finding: ReconciliationFinding): string {
  return (
    ACTIONS[finding.kind] ??
    (finding.severity === 'info' ? 'Nothing needed' : 'Nothing changed: needs a person to look')
  );
}

/** `account:cus_ada` → the customer page; `purchase:pur_…` and `hold:hold_<ulid>` → the purchase (or its attempt). */
function EntityLink({ entity }: { readonly entity: string }): ReactElement {
  const colon = entity.indexOf(':');
  const kind = entity.slice(0, colon);
  const id = entity.slice(colon + 1);
  if (kind === 'account')
    return (
      <Link to={`/customers/${encodeURIComponent(id)}`} data-testid="finding-entity-link">
        Customer <code>{id}</code>
      </Link>
    );
  if (kind === 'purchase')
    return (
      <Link to={`/purchases/${encodeURIComponent(id)}`} data-testid="finding-entity-link">
        Purchase <code>{id}</code>
      </Link>
    );
  if (kind === 'hold' && id.startsWith('hold_')) {
    const purchaseId = `pur_${id.slice('hold_'.length)}`;
    return (
      <span>
        Hold <code>{id}</code> of{' '}
        <Link to={`/purchases/${encodeURIComponent(purchaseId)}`} data-testid="finding-entity-link">
          purchase <code>{purchaseId}</code>
        </Link>
      </span>
    );
  }
  return <code>{entity}</code>;
}

function RunStatus({ run }: { readonly run: ReconciliationRunSummary }): ReactElement {
  return (
    <Badge
      text={humanize(run.status)}
      state={RUN_STATE[run.status]}
      size="sm"
      data-testid="run-status"
      data-status={run.status}
    />
  );
}

function useStartRun(): { start: () => void; pending: boolean; error: unknown } {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const mutation = useMutation({
    mutationFn: () =>
      apiRequest(z.union([ReconciliationRun, ReconciliationRunPending]), '/v1/reconciliation/runs', { method: 'POST' }),
    onSuccess: (run) => navigate(`/admin/reconciliation/${encodeURIComponent(run.id)}`),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: serviceKeys.runsAll() });
    },
  });
  return { start: () => mutation.mutate(), pending: mutation.isPending, error: mutation.error };
}

export function ReconciliationRunsPage(): ReactElement {
  useDocumentTitle('Reconciliation');
  const pages = useCursorPages();
  const runs = useReconciliationRuns(pages.cursor);
  const start = useStartRun();
  const rows = runs.data?.data ?? [];
  return (
    <section className="page" aria-labelledby="recon-title" data-testid="reconciliation-page">
      <Text size="sm">
        <Link to="/admin">← Administration</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="recon-title">
          Reconciliation
        </Title>
        <Button
          type="primary"
          label={start.pending ? 'Running…' : 'Start a run now'}
          loading={start.pending}
          disabled={start.pending}
          onClick={start.start}
          data-testid="recon-start"
        />
      </div>
      <Text color="muted">
        Each run checks every account (balance = its entries, held = its open holds), the purchases against the
        platform’s shipments and the refunds against totals. It changes no money except releasing holds whose saga has
        ended. A Temporal Schedule runs it every 15 minutes.
      </Text>
      {start.error ? (
        <ErrorMessage error={start.error} title="The run did not start" testId="recon-start-error" />
      ) : null}
      {runs.isPending ? <Loading what="reconciliation runs" /> : null}
      {runs.isError ? (
        <ErrorMessage
          error={runs.error}
          title="Could not load reconciliation runs"
          onRetry={() => void runs.refetch()}
          testId="recon-error"
        />
      ) : null}
      {runs.data && rows.length === 0 ? <EmptyState testId="recon-empty">No runs yet.</EmptyState> : null}
      {rows.length > 0 ? (
        <Table
          headers={[
            { label: 'Started', width: '225px' },
            { label: 'Run', width: '280px' },
            { label: 'By', width: '110px' },
            { label: 'Status', width: '110px' },
            { label: 'Findings' },
            { label: 'Accounts', width: '90px' },
            { label: 'Holds released', width: '120px' },
          ]}
          rows={rows.map((run) => ({
            id: run.id,
            'data-testid': 'run-row',
            'data-run-id': run.id,
            items: [
              { label: <time dateTime={run.startedAt}>{formatDateTime(run.startedAt)}</time> },
              {
                label: (
                  <Link to={`/admin/reconciliation/${encodeURIComponent(run.id)}`} data-testid={`run-link-${run.id}`}>
                    <code>{run.id}</code>
                  </Link>
                ),
              },
              { label: run.trigger === 'schedule' ? 'Schedule' : (run.actor ?? 'Manual') },
              { label: <RunStatus run={run} /> },
              {
                label: (
                  <span data-testid="run-finding-counts">
                    {run.findingCount === 0
                      ? 'None'
                      : `${run.counts.errors} errors, ${run.counts.warnings} warnings, ${run.counts.infos} notes`}
                  </span>
                ),
              },
              { label: String(run.counts.accounts) },
              { label: String(run.counts.holdsReleased) },
            ],
          }))}
          size="sm"
          className="data-table"
          aria-label="Reconciliation runs"
          aria-busy={runs.isFetching}
          data-testid="runs-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={runs.data?.nextCursor}
        busy={runs.isFetching}
        testId="runs-pager"
        label="Reconciliation runs"
      />
    </section>
  );
}

export function ReconciliationRunPage(): ReactElement {
  const { runId = '' } = useParams();
  useDocumentTitle(`Reconciliation run ${runId}`);
  const run = useReconciliationRun(runId);
  const data = run.data;
  return (
    <section className="page" aria-labelledby="run-title" data-testid="reconciliation-run-page">
      <Text size="sm">
        <Link to="/admin/reconciliation">← Reconciliation</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="run-title">
          Reconciliation run <code>{runId}</code>
        </Title>
        {data ? <RunStatus run={data} /> : null}
      </div>
      {run.isPending ? <Loading what="the run" /> : null}
      {run.isError && isNotFound(run.error, 'reconciliation_run_not_found') ? (
        <ResourceNotFound what="reconciliation run" id={runId}>
          See <Link to="/admin/reconciliation">all runs</Link>.
        </ResourceNotFound>
      ) : null}
      {run.isError && !isNotFound(run.error, 'reconciliation_run_not_found') ? (
        <ErrorMessage
          error={run.error}
          title="Could not load the run"
          onRetry={() => void run.refetch()}
          testId="run-error"
        />
      ) : null}
      {data ? (
        <>
          <dl className="facts" data-testid="run-facts">
            <div>
              <dt>Started</dt>
              <dd>{formatDateTime(data.startedAt)}</dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>{data.status === 'running' ? 'Still running…' : formatDateTime(data.finishedAt)}</dd>
            </div>
            <div>
              <dt>By</dt>
              <dd>{data.trigger === 'schedule' ? 'The schedule' : (data.actor ?? 'Manual')}</dd>
            </div>
            <div>
              <dt>Checked</dt>
              <dd>
                {data.counts.accounts} accounts, {data.counts.entries} entries, {data.counts.purchases} purchases,{' '}
                {data.counts.shipmentsChecked} shipments
              </dd>
            </div>
            <div>
              <dt>Holds released</dt>
              <dd>{data.counts.holdsReleased}</dd>
            </div>
            <div>
              <dt>Workflow</dt>
              <dd>
                <WorkflowLink workflowId={data.workflowId} />
              </dd>
            </div>
          </dl>
          {data.error ? (
            <ErrorMessage error={new Error(data.error)} title="The run failed" testId="run-failed" />
          ) : null}
          <section className="section" aria-labelledby="findings-title" data-testid="run-findings">
            <Title type="h2" size="md" id="findings-title">
              Findings ({data.findingCount})
            </Title>
            {data.findingCount > data.findings.length ? (
              <Text size="sm" color="muted">
                The first {data.findings.length} are shown.
              </Text>
            ) : null}
            {data.findings.length === 0 ? (
              <EmptyState testId="run-findings-empty">
                {data.status === 'running' ? 'None so far.' : 'None: the books agree.'}
              </EmptyState>
            ) : (
              <Table
                headers={[
                  { label: 'Severity', width: '100px' },
                  { label: 'Kind', width: '190px' },
                  { label: 'About', width: '250px' },
                  { label: 'Expected / actual', width: '130px' },
                  { label: 'Detail' },
                  { label: 'What was done', width: '200px' },
                ]}
                rows={data.findings.map((finding, index) => ({
                  id: `${finding.kind}-${finding.entity}-${index}`,
                  'data-testid': 'finding-row',
                  'data-kind': finding.kind,
                  items: [
                    {
                      label: (
                        <Badge text={humanize(finding.severity)} state={SEVERITY_STATE[finding.severity]} size="sm" />
                      ),
                    },
                    { label: <span data-testid="finding-kind">{humanize(finding.kind)}</span>, overflowMode: 'wrap' },
                    { label: <EntityLink entity={finding.entity} />, overflowMode: 'wrap' },
                    { label: `${finding.expected ?? '—'} / ${finding.actual ?? '—'}`, overflowMode: 'wrap' },
                    { label: finding.detail, overflowMode: 'wrap' },
                    { label: <span data-testid="finding-action">{actionOf(finding)}</span>, overflowMode: 'wrap' },
                  ],
                }))}
                size="sm"
                className="data-table"
                aria-label="Findings"
                data-testid="findings-table"
              />
            )}
          </section>
        </>
      ) : null}
    </section>
  );
}
