import { Button, SearchField, Table, Text, Title } from '@clickhouse/click-ui';
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useCustomers } from '../api/queries';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { useDocumentTitle } from '../lib/use-document-title';

export function CustomersPage(): ReactElement {
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  useDocumentTitle(query ? `Customers matching “${query}”` : 'Customers');
  const [draft, setDraft] = useState(query);
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(() => {
    setDraft(query);
    reset();
  }, [query, reset]);
  const customers = useCustomers(query, pages.cursor);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const next = draft.trim();
    setParams(next ? { q: next } : {});
  };

  const rows = (customers.data?.data ?? []).map((customer) => ({
    id: customer.id,
    'data-testid': 'customer-row',
    'data-customer-id': customer.id,
    items: [
      {
        label: (
          <Link to={`/customers/${encodeURIComponent(customer.id)}`} data-testid={`customer-link-${customer.id}`}>
            {customer.name}
          </Link>
        ),
      },
      { label: customer.email },
      { label: <code>{customer.id}</code> },
      { label: `${customer.address.city}, ${customer.address.country}` },
    ],
  }));

  return (
    <section aria-labelledby="customers-title" className="page">
      <div className="page-header">
        <Title type="h1" size="lg" id="customers-title">
          Customers
        </Title>
        <Text color="muted">Find a customer by name, email or id.</Text>
      </div>
      <form className="search-form" role="search" onSubmit={submit} data-testid="customer-search-form">
        <SearchField
          id="customer-search"
          label="Search customers"
          placeholder="Name, email or id"
          value={draft}
          onChange={setDraft}
          data-testid="customer-search"
        />
        <Button htmlType="submit" type="primary" label="Search" data-testid="customer-search-submit" />
        {query ? <Button type="secondary" label="Clear" onClick={() => setParams({})} /> : null}
      </form>
      {customers.isPending ? <Loading what="customers" /> : null}
      {customers.isError ? (
        <ErrorMessage
          error={customers.error}
          title="Could not load customers"
          onRetry={() => void customers.refetch()}
          testId="customers-error"
        />
      ) : null}
      {customers.data && rows.length === 0 ? (
        <EmptyState testId="customers-empty">
          {query ? `No customer matches “${query}”.` : 'No customers yet.'}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <>
          <Table
            headers={[{ label: 'Name' }, { label: 'Email' }, { label: 'Id' }, { label: 'Location' }]}
            rows={rows}
            size="sm"
            className="data-table"
            data-testid="customers-table"
            aria-label="Customers"
            aria-busy={customers.isFetching}
          />
          <Pager
            pages={pages}
            nextCursor={customers.data?.nextCursor}
            busy={customers.isFetching}
            testId="customers-pager"
            label="Customers"
          />
        </>
      ) : null}
    </section>
  );
}
