/**
 * Approvals of large credit changes. The queue (pending first by default, filter by status
 * or customer) and one approval: the request, the customer's balance and recent entries, and
 * for an admin who did not ask for it, approve / reject with a note.
 */
import { Button, Table, Text, TextAreaField, TextField, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent, type ReactElement } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import {
  Approval,
  ApprovalDecision,
  ApprovalStatus,
  type Approval as ApprovalView,
} from '../../../src/contracts/index.js';
import { approvalKeys, useApproval, useApprovals, type ApprovalFilters } from '../api/approvals';
import { apiRequest } from '../api/client';
import { queryKeys, useCredit, useCustomer, useLedger } from '../api/queries';
import { ApprovalStatusBadge } from '../components/approval-status';
import { Money } from '../components/money';
import { Pager, useCursorPages } from '../components/pager';
import { SelectField } from '../components/select-field';
import { ShortId } from '../components/short-id';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { LedgerTable } from '../features/ledger-table';
import { formatDateTime, humanize } from '../lib/format';
import { useDocumentTitle } from '../lib/use-document-title';
import { can, useSession } from '../session';

export function ApprovalsPage(): ReactElement {
  useDocumentTitle('Approvals');
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'pending';
  const customerId = params.get('customerId') ?? '';
  const filters = useMemo<ApprovalFilters>(() => {
    const parsed = ApprovalStatus.safeParse(status);
    return { ...(parsed.success ? { status: parsed.data } : {}), ...(customerId ? { customerId } : {}) };
  }, [status, customerId]);
  const [draftCustomer, setDraftCustomer] = useState(customerId);
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(() => {
    reset();
    setDraftCustomer(customerId);
  }, [status, customerId, reset]);
  const approvals = useApprovals(filters, pages.cursor);
  const rows = approvals.data?.data ?? [];

  const update = (next: { status?: string; customerId?: string }): void => {
    const merged = { status, customerId, ...next };
    const search = new URLSearchParams();
    search.set('status', merged.status);
    if (merged.customerId.trim()) search.set('customerId', merged.customerId.trim());
    setParams(search);
  };
  const apply = (event: FormEvent): void => {
    event.preventDefault();
    update({ customerId: draftCustomer });
  };

  return (
    <section className="page" aria-labelledby="approvals-title" data-testid="approvals-page">
      <div className="page-header">
        <Title type="h1" size="lg" id="approvals-title">
          Approvals
        </Title>
        <Text color="muted">
          Large grants and deductions by support wait here for a second person: an admin who did not ask for them.
          Newest first.
        </Text>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Approval filters">
        <SelectField
          id="approval-filter-status"
          label="Status"
          value={status}
          onChange={(value) => update({ status: value })}
          options={[
            { value: 'any', label: 'Any status' },
            ...ApprovalStatus.options.map((s) => ({ value: s, label: humanize(s) })),
          ]}
          testId="approval-filter-status"
        />
        <TextField
          id="approval-filter-customer"
          label="Customer id"
          placeholder="cus_…"
          value={draftCustomer}
          onChange={setDraftCustomer}
          data-testid="approval-filter-customer"
        />
        <div className="filters-actions">
          <Button htmlType="submit" type="primary" label="Apply" data-testid="approval-filter-apply" />
        </div>
      </form>
      {approvals.isPending ? <Loading what="approvals" /> : null}
      {approvals.isError ? (
        <ErrorMessage
          error={approvals.error}
          title="Could not load approvals"
          onRetry={() => void approvals.refetch()}
          testId="approvals-error"
        />
      ) : null}
      {approvals.data && rows.length === 0 ? (
        <EmptyState testId="approvals-empty">
          {status === 'pending' ? 'Nothing waits for approval.' : 'No approval matches.'}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? <ApprovalTable approvals={rows} busy={approvals.isFetching} /> : null}
      <Pager
        pages={pages}
        nextCursor={approvals.data?.nextCursor}
        busy={approvals.isFetching}
        testId="approvals-pager"
        label="Approvals"
      />
    </section>
  );
}

function ApprovalTable({
  approvals,
  busy,
}: {
  readonly approvals: readonly ApprovalView[];
  readonly busy: boolean;
}): ReactElement {
  return (
    <Table
      headers={[
        { label: 'Requested', width: '180px' },
        { label: 'Customer', width: '150px' },
        { label: 'Change', width: '150px' },
        { label: 'Reason' },
        { label: 'Requested by', width: '120px' },
        { label: 'Status', width: '170px' },
        { label: 'Expires', width: '180px' },
        { label: '', width: '90px' },
      ]}
      rows={approvals.map((a) => ({
        id: a.id,
        'data-testid': 'approval-row',
        'data-approval-id': a.id,
        'data-status': a.status,
        items: [
          { label: <time dateTime={a.requestedAt}>{formatDateTime(a.requestedAt)}</time> },
          { label: <Link to={`/customers/${encodeURIComponent(a.customerId)}`}>{a.customerId}</Link> },
          { label: <Money amount={a.kind === 'grant' ? a.amount : -a.amount} currency={a.currency} signed /> },
          { label: `${humanize(a.reason)}${a.note ? ` — ${a.note}` : ''}`, overflowMode: 'wrap' },
          { label: a.requestedBy },
          { label: <ApprovalStatusBadge status={a.status} /> },
          { label: <time dateTime={a.expiresAt}>{formatDateTime(a.expiresAt)}</time> },
          {
            label: (
              <Link to={`/approvals/${encodeURIComponent(a.id)}`} data-testid="approval-open">
                Open
              </Link>
            ),
          },
        ],
      }))}
      size="sm"
      className="data-table"
      aria-label="Approvals"
      aria-busy={busy}
      data-testid="approvals-table"
    />
  );
}

export function ApprovalPage(): ReactElement {
  const { approvalId = '' } = useParams();
  return <ApprovalDetails key={approvalId} approvalId={approvalId} />;
}

function ApprovalDetails({ approvalId }: { readonly approvalId: string }): ReactElement {
  useDocumentTitle('Approval');
  const approval = useApproval(approvalId);
  const a = approval.data;
  return (
    <section className="page" aria-labelledby="approval-title" data-testid="approval-page">
      <Text size="sm">
        <Link to="/approvals">← Approvals</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="approval-title">
          {a ? (
            <>
              {a.kind === 'grant' ? 'Grant' : 'Deduction'} of{' '}
              <Money amount={a.amount} currency={a.currency} testId="approval-amount" />
            </>
          ) : (
            'Approval'
          )}
        </Title>
        <Text color="muted">
          <code>{approvalId}</code>
        </Text>
      </div>
      {approval.isPending ? <Loading what="the approval" /> : null}
      {approval.isError ? (
        <ErrorMessage
          error={approval.error}
          title="Could not load the approval"
          onRetry={() => void approval.refetch()}
          testId="approval-error"
        />
      ) : null}
      {a ? (
        <>
          <ApprovalFacts approval={a} />
          <DecisionSection approval={a} />
          <CustomerContext customerId={a.customerId} />
        </>
      ) : null}
    </section>
  );
}

function ApprovalFacts({ approval: a }: { readonly approval: ApprovalView }): ReactElement {
  return (
    <dl className="facts" data-testid="approval-facts" data-status={a.status}>
      <div>
        <dt>Status</dt>
        <dd>
          <ApprovalStatusBadge status={a.status} testId="approval-status" />
        </dd>
      </div>
      <div>
        <dt>Customer</dt>
        <dd>
          <Link to={`/customers/${encodeURIComponent(a.customerId)}`} data-testid="approval-customer">
            {a.customerId}
          </Link>
        </dd>
      </div>
      <div>
        <dt>Reason</dt>
        <dd>
          {humanize(a.reason)}
          {a.note ? <> — “{a.note}”</> : null}
        </dd>
      </div>
      <div>
        <dt>Requested by</dt>
        <dd data-testid="approval-requested-by">
          {a.requestedBy}, {formatDateTime(a.requestedAt)}
        </dd>
      </div>
      <div>
        <dt>{a.status === 'pending' ? 'Expires' : 'Deadline'}</dt>
        <dd data-testid="approval-expires">{formatDateTime(a.expiresAt)}</dd>
      </div>
      {a.decidedBy ? (
        <div>
          <dt>Decided by</dt>
          <dd data-testid="approval-decided-by">
            {a.decidedBy}, {formatDateTime(a.decidedAt)}
            {a.decisionNote ? <> — “{a.decisionNote}”</> : null}
          </dd>
        </div>
      ) : null}
      {a.entryId ? (
        <div>
          <dt>Ledger entry</dt>
          <dd data-testid="approval-entry">
            <ShortId id={a.entryId} />
          </dd>
        </div>
      ) : null}
      <div>
        <dt>Workflow</dt>
        <dd>
          <code>{a.workflowId}</code>
        </dd>
      </div>
    </dl>
  );
}

/** Approve or reject, for admins; the API (and the workflow behind it) refuses the requester and a decided approval. */
function DecisionSection({ approval: a }: { readonly approval: ApprovalView }): ReactElement | null {
  const { me } = useSession();
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string | null>(null);
  const decide = useMutation({
    mutationFn: async (decision: 'approve' | 'reject'): Promise<ApprovalView> => {
      const path = `/v1/approvals/${encodeURIComponent(a.id)}/${decision}`;
      const body = note.trim() ? { note: note.trim() } : {};
      if (decision === 'approve') return (await apiRequest(ApprovalDecision, path, { method: 'POST', body })).approval;
      return apiRequest(Approval, path, { method: 'POST', body });
    },
    onSuccess: (updated) => queryClient.setQueryData(approvalKeys.one(a.id), updated),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: approvalKeys.all() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.credit(a.customerId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.ledgerOf(a.customerId) });
    },
  });
  if (!can(me, 'admin') || a.status !== 'pending') return null;
  const ownRequest = me?.name === a.requestedBy;
  const reject = (): void => {
    if (!note.trim()) {
      setNoteError('Say why: the requester sees this note.');
      return;
    }
    setNoteError(null);
    decide.mutate('reject');
  };
  return (
    <section className="section" aria-labelledby="decision-title" data-testid="approval-decision">
      <div className="section-header">
        <Title type="h2" size="md" id="decision-title">
          Decision
        </Title>
      </div>
      {ownRequest ? (
        <Text color="muted" data-testid="approval-own-request">
          You asked for this change: another admin must decide it.
        </Text>
      ) : null}
      <div className="decision-form">
        <TextAreaField
          id="approval-note"
          label="Note (required to reject)"
          value={note}
          onChange={setNote}
          rows={2}
          maxLength={1000}
          error={noteError ?? undefined}
          data-testid="approval-note"
        />
        <div className="form-actions">
          <Button
            type="primary"
            label={decide.isPending ? 'Submitting…' : 'Approve and post'}
            onClick={() => decide.mutate('approve')}
            disabled={decide.isPending}
            data-testid="approval-approve"
          />
          <Button
            type="danger"
            label="Reject"
            onClick={reject}
            disabled={decide.isPending}
            data-testid="approval-reject"
          />
        </div>
        {decide.error ? (
          <ErrorMessage
            error={decide.error}
            currency={a.currency}
            title="The decision was refused"
            testId="approval-decision-error"
          />
        ) : null}
      </div>
    </section>
  );
}

function CustomerContext({ customerId }: { readonly customerId: string }): ReactElement {
  const customer = useCustomer(customerId);
  const credit = useCredit(customerId);
  const ledger = useLedger(customerId, null);
  const entries = (ledger.data?.data ?? []).slice(0, 5);
  return (
    <section className="section" aria-labelledby="approval-customer-title" data-testid="approval-customer-context">
      <div className="section-header">
        <Title type="h2" size="md" id="approval-customer-title">
          {customer.data?.name ?? customerId}
        </Title>
      </div>
      {credit.data ? (
        <Text data-testid="approval-customer-balance">
          Posted balance{' '}
          <strong>
            <Money amount={credit.data.balance} currency={credit.data.currency} />
          </strong>
          , available{' '}
          <Money amount={credit.data.available} currency={credit.data.currency} testId="approval-customer-available" />
        </Text>
      ) : null}
      {credit.isError ? (
        <ErrorMessage error={credit.error} title="Could not load the balance" testId="approval-credit-error" />
      ) : null}
      <Text size="sm" color="muted">
        Recent entries
      </Text>
      {ledger.data && entries.length === 0 ? (
        <EmptyState testId="approval-ledger-empty">No ledger entries yet.</EmptyState>
      ) : null}
      {entries.length > 0 ? <LedgerTable entries={entries} busy={ledger.isFetching} /> : null}
    </section>
  );
}
