/**
 * The purchases page's second view: every purchase attempt (pending, completed, failed,
 * cancelled), filtered by customer, status and dates. The switch keeps the view in the URL
 * (`?view=attempts`), so a link or a reload lands on the same list.
 */
import { Button, InputWrapper, Text, TextField } from '@clickhouse/click-ui';
import { useEffect, useMemo, useState, type FormEvent, type ReactElement } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { AttemptStatus } from '../../../src/contracts/index.js';
import { useAttempts, type AttemptFilters } from '../api/service-queries';
import { Pager, useCursorPages } from '../components/pager';
import { SelectField } from '../components/select-field';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { humanize, startOfDay } from '../lib/format';
import { useDocumentTitle } from '../lib/use-document-title';
import { AttemptTable } from './attempt-table';

export function PurchasesViewSwitch({ view }: { readonly view: 'purchases' | 'attempts' }): ReactElement {
  const [params] = useSearchParams();
  const customerId = params.get('customerId');
  const keep = customerId ? `customerId=${encodeURIComponent(customerId)}` : '';
  return (
    <nav className="view-switch" aria-label="Purchases or attempts" data-testid="purchases-view-switch">
      <Link
        to={`/purchases${keep ? `?${keep}` : ''}`}
        aria-current={view === 'purchases' ? 'page' : undefined}
        data-testid="view-purchases"
      >
        Purchases
      </Link>
      <Link
        to={`/purchases?view=attempts${keep ? `&${keep}` : ''}`}
        aria-current={view === 'attempts' ? 'page' : undefined}
        data-testid="view-attempts"
      >
        Attempts
      </Link>
    </nav>
  );
}

interface Draft {
  customerId: string;
  status: string;
  from: string;
  to: string;
}

const FIELDS = ['customerId', 'status', 'from', 'to'] as const;

function draftFrom(params: URLSearchParams): Draft {
  return {
    customerId: params.get('customerId') ?? '',
    status: params.get('status') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

function filtersOf(draft: Draft): AttemptFilters {
  const status = AttemptStatus.safeParse(draft.status);
  const from = startOfDay(draft.from);
  const to = startOfDay(draft.to, 1);
  return {
    ...(draft.customerId.trim() ? { customerId: draft.customerId.trim() } : {}),
    ...(status.success ? { status: status.data } : {}),
    ...(from ? { createdFrom: from } : {}),
    ...(to ? { createdTo: to } : {}),
  };
}

export function AttemptsView(): ReactElement {
  useDocumentTitle('Purchase attempts');
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => draftFrom(params), [params]);
  const filters = useMemo(() => filtersOf(applied), [applied]);
  const [draft, setDraft] = useState<Draft>(applied);
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(() => {
    setDraft(applied);
    reset();
  }, [applied, reset]);
  const attempts = useAttempts(filters, pages.cursor);
  const rows = attempts.data?.data ?? [];
  const filtered = Object.keys(filters).length > 0;

  const set =
    (field: keyof Draft) =>
    (value: string): void =>
      setDraft((d) => ({ ...d, [field]: value }));
  const apply = (event: FormEvent): void => {
    event.preventDefault();
    const next = new URLSearchParams({ view: 'attempts' });
    for (const field of FIELDS) {
      const value = draft[field].trim();
      if (value) next.set(field, value);
    }
    setParams(next);
  };

  return (
    <>
      <Text color="muted">
        Every purchase request, newest first: pending ones with what they hold, failed and cancelled ones with the
        reason the caller got.
      </Text>
      <form className="filters" onSubmit={apply} aria-label="Attempt filters" data-testid="attempt-filters">
        <TextField
          id="attempt-filter-customer"
          label="Customer id"
          placeholder="cus_…"
          value={draft.customerId}
          onChange={set('customerId')}
          data-testid="attempt-filter-customer"
        />
        <SelectField
          id="attempt-filter-status"
          label="Status"
          value={draft.status}
          onChange={set('status')}
          options={[
            { value: '', label: 'Any status' },
            ...AttemptStatus.options.map((s) => ({ value: s, label: humanize(s) })),
          ]}
          testId="attempt-filter-status"
        />
        <InputWrapper id="attempt-filter-from" label="From (day)">
          <input
            id="attempt-filter-from"
            className="native-input"
            type="date"
            value={draft.from}
            onChange={(e) => set('from')(e.target.value)}
            data-testid="attempt-filter-from"
          />
        </InputWrapper>
        <InputWrapper id="attempt-filter-to" label="To (day, inclusive)">
          <input
            id="attempt-filter-to"
            className="native-input"
            type="date"
            value={draft.to}
            onChange={(e) => set('to')(e.target.value)}
            data-testid="attempt-filter-to"
          />
        </InputWrapper>
        <div className="filters-actions">
          <Button htmlType="submit" type="primary" label="Apply filters" data-testid="attempt-filter-apply" />
          <Button
            type="secondary"
            label="Reset"
            onClick={() => setParams(new URLSearchParams({ view: 'attempts' }))}
            disabled={!filtered}
            data-testid="attempt-filter-reset"
          />
        </div>
      </form>
      {attempts.isPending ? <Loading what="purchase attempts" /> : null}
      {attempts.isError ? (
        <ErrorMessage
          error={attempts.error}
          title="Could not load purchase attempts"
          onRetry={() => void attempts.refetch()}
          testId="attempts-error"
        />
      ) : null}
      {attempts.data && rows.length === 0 ? (
        <EmptyState testId="attempts-empty">
          {filtered ? 'No attempt matches these filters.' : 'No purchase attempts yet.'}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? <AttemptTable attempts={rows} busy={attempts.isFetching} /> : null}
      <Pager
        pages={pages}
        nextCursor={attempts.data?.nextCursor}
        busy={attempts.isFetching}
        testId="attempts-pager"
        label="Purchase attempts"
      />
    </>
  );
}
