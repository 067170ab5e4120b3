/**
 * The customer's purchase attempts on the customer page: the answer to "why did my purchase
 * fail?" without leaving the page. Pending ones refresh until their sagas end.
 */
import { Text, Title } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import { useAttempts } from '../api/service-queries';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { AttemptTable } from './attempt-table';

export function CustomerAttempts({ customerId }: { readonly customerId: string }): ReactElement {
  const pages = useCursorPages();
  const attempts = useAttempts({ customerId }, pages.cursor, 10);
  const shown = attempts.data?.data ?? [];
  return (
    <section className="section" aria-labelledby="customer-attempts-title" data-testid="customer-attempts">
      <div className="section-header">
        <Title type="h2" size="md" id="customer-attempts-title">
          Purchase attempts
        </Title>
        <Text size="sm">
          Every purchase request, also the ones that failed.{' '}
          <Link to={`/purchases?view=attempts&customerId=${encodeURIComponent(customerId)}`}>All, with filters</Link>
        </Text>
      </div>
      {attempts.isPending ? <Loading what="purchase attempts" /> : null}
      {attempts.isError ? (
        <ErrorMessage
          error={attempts.error}
          title="Could not load purchase attempts"
          onRetry={() => void attempts.refetch()}
          testId="customer-attempts-error"
        />
      ) : null}
      {attempts.data && shown.length === 0 ? (
        <EmptyState testId="customer-attempts-empty">No purchase attempts yet.</EmptyState>
      ) : null}
      {shown.length > 0 ? (
        <AttemptTable
          attempts={shown}
          busy={attempts.isFetching}
          showCustomer={false}
          testId="customer-attempts-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={attempts.data?.nextCursor}
        busy={attempts.isFetching}
        testId="customer-attempts-pager"
        label="Purchase attempts"
      />
    </section>
  );
}
