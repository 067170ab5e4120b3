import { BigStat, Button, Text, Title } from '@clickhouse/click-ui';
import { useRef, useState, type ReactElement } from 'react';
import { Link, useParams } from 'react-router-dom';
import type { CreditBalance, CustomerView } from '../../../src/contracts/index.js';
import { ApiError } from '../api/client';
import { useCredit, useCustomer, useLedger, usePurchases } from '../api/queries';
import { Money } from '../components/money';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { CreditMovementForm, type CreditMovementKind } from '../features/credit-form';
import { CustomerAttempts } from '../features/customer-attempts';
import { LedgerTable } from '../features/ledger-table';
import { PendingApprovals } from '../features/pending-approvals';
import { PurchaseTable } from '../features/purchase-table';
import { StatementDownload } from '../features/statement-download';
import { formatDateTime } from '../lib/format';
import { can, useSession } from '../session';
import { useDocumentTitle } from '../lib/use-document-title';

export function CustomerPage(): ReactElement {
  const { customerId = '' } = useParams();
  // A new customer is a new page: no state (open forms, pages) carries over.
  return <CustomerDetails key={customerId} customerId={customerId} />;
}

function CustomerDetails({ customerId }: { readonly customerId: string }): ReactElement {
  const customer = useCustomer(customerId);
  const name = customer.data?.name ?? customerId;
  useDocumentTitle(name);
  const unknownCustomer = customer.error instanceof ApiError && customer.error.code === 'customer_not_found';
  return (
    <section className="page" aria-labelledby="customer-title">
      <Text size="sm">
        <Link to="/customers">← Customers</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="customer-title" data-testid="customer-name">
          {name}
        </Title>
        <Text color="muted">
          <code data-testid="customer-id">{customerId}</code>
        </Text>
      </div>
      {customer.isPending ? <Loading what="customer" /> : null}
      {customer.isError ? (
        <ErrorMessage
          error={customer.error}
          title="Could not load the customer"
          onRetry={() => void customer.refetch()}
          testId="customer-error"
        />
      ) : null}
      {customer.data ? <CustomerContact customer={customer.data} /> : null}
      {/* An id the platform does not know has no credit, ledger or purchases to show. */}
      {unknownCustomer ? null : (
        <>
          <CreditSection customerId={customerId} customerName={name} />
          <LedgerSection customerId={customerId} />
          <CustomerPurchases customerId={customerId} />
          <CustomerAttempts customerId={customerId} />
        </>
      )}
    </section>
  );
}

function CustomerContact({ customer }: { readonly customer: CustomerView }): ReactElement {
  const a = customer.address;
  return (
    <dl className="facts" data-testid="customer-contact">
      <div>
        <dt>Email</dt>
        <dd>
          <a href={`mailto:${customer.email}`}>{customer.email}</a>
        </dd>
      </div>
      <div>
        <dt>Address</dt>
        <dd>{[a.line1, a.line2, `${a.postalCode} ${a.city}`, a.country].filter(Boolean).join(', ')}</dd>
      </div>
      <div>
        <dt>Updated on the platform</dt>
        <dd>{formatDateTime(customer.updatedAt)}</dd>
      </div>
    </dl>
  );
}

function CreditSection({
  customerId,
  customerName,
}: {
  readonly customerId: string;
  readonly customerName: string;
}): ReactElement {
  const { me } = useSession();
  const credit = useCredit(customerId);
  const [form, setForm] = useState<CreditMovementKind | null>(null);
  const grantButton = useRef<HTMLButtonElement>(null);
  const deductButton = useRef<HTMLButtonElement>(null);
  // Closing the form hands the focus back to the button that opened it.
  const close = (): void => {
    const opener = form === 'deduction' ? deductButton : grantButton;
    setForm(null);
    setTimeout(() => opener.current?.focus(), 0);
  };
  return (
    <section className="section" aria-labelledby="credit-title" data-testid="credit-section">
      <div className="section-header">
        <Title type="h2" size="md" id="credit-title">
          Credit
        </Title>
        {can(me, 'moveCredit') && credit.data ? (
          <div className="row">
            <Button
              ref={grantButton}
              type="secondary"
              iconLeft="plus"
              label="Grant credit"
              onClick={() => setForm('grant')}
              disabled={form !== null}
              data-testid="credit-grant-open"
            />
            <Button
              ref={deductButton}
              type="secondary"
              iconLeft="minus"
              label="Deduct credit"
              onClick={() => setForm('deduction')}
              disabled={form !== null}
              data-testid="credit-deduct-open"
            />
          </div>
        ) : null}
      </div>
      {credit.isPending ? <Loading what="credit" /> : null}
      {credit.isError ? (
        <ErrorMessage
          error={credit.error}
          title="Could not load the credit balance"
          onRetry={() => void credit.refetch()}
          testId="credit-load-error"
        />
      ) : null}
      {credit.data ? <CreditSummary credit={credit.data} /> : null}
      <PendingApprovals customerId={customerId} />
      {form && credit.data ? (
        <CreditMovementForm
          key={form}
          customerId={customerId}
          customerName={customerName}
          credit={credit.data}
          kind={form}
          onClose={close}
        />
      ) : null}
    </section>
  );
}

function CreditSummary({ credit }: { readonly credit: CreditBalance }): ReactElement {
  return (
    <div data-testid="credit-summary">
      <div className="stats">
        <BigStat
          label="Posted balance"
          title={<Money amount={credit.balance} currency={credit.currency} testId="credit-balance" />}
          size="lg"
          data-testid="credit-balance-stat"
        />
        <BigStat
          label="Held by running purchases"
          title={<Money amount={credit.held} currency={credit.currency} testId="credit-held" />}
          size="lg"
          state="muted"
        />
        <BigStat
          label="Available to spend"
          title={<Money amount={credit.available} currency={credit.currency} testId="credit-available" />}
          size="lg"
        />
      </div>
      <Text size="xs" color="muted">
        {credit.updatedAt ? `Last change ${formatDateTime(credit.updatedAt)}` : 'No credit history yet.'}
      </Text>
    </div>
  );
}

function LedgerSection({ customerId }: { readonly customerId: string }): ReactElement {
  const pages = useCursorPages();
  const ledger = useLedger(customerId, pages.cursor);
  const entries = ledger.data?.data ?? [];
  return (
    <section className="section" aria-labelledby="ledger-title" data-testid="ledger-section">
      <div className="section-header">
        <Title type="h2" size="md" id="ledger-title">
          Ledger history
        </Title>
        <Text size="sm" color="muted">
          Newest first. Entries never change; a mistake is corrected by a new entry.
        </Text>
      </div>
      {ledger.isPending ? <Loading what="ledger entries" /> : null}
      {ledger.isError ? (
        <ErrorMessage
          error={ledger.error}
          title="Could not load the ledger"
          onRetry={() => void ledger.refetch()}
          testId="ledger-error"
        />
      ) : null}
      {ledger.data && entries.length === 0 ? (
        <EmptyState testId="ledger-empty">No ledger entries yet.</EmptyState>
      ) : null}
      {entries.length > 0 ? <LedgerTable entries={entries} busy={ledger.isFetching} /> : null}
      <Pager
        pages={pages}
        nextCursor={ledger.data?.nextCursor}
        busy={ledger.isFetching}
        testId="ledger-pager"
        label="Ledger"
      />
      <StatementDownload customerId={customerId} />
    </section>
  );
}

function CustomerPurchases({ customerId }: { readonly customerId: string }): ReactElement {
  const pages = useCursorPages();
  const purchases = usePurchases({ customerId }, pages.cursor, 10);
  const rows = purchases.data?.data ?? [];
  return (
    <section className="section" aria-labelledby="customer-purchases-title" data-testid="customer-purchases">
      <div className="section-header">
        <Title type="h2" size="md" id="customer-purchases-title">
          Purchases
        </Title>
        <Text size="sm">
          <Link to={`/purchases?customerId=${encodeURIComponent(customerId)}`}>
            All of this customer’s purchases, with filters
          </Link>
        </Text>
      </div>
      {purchases.isPending ? <Loading what="purchases" /> : null}
      {purchases.isError ? (
        <ErrorMessage
          error={purchases.error}
          title="Could not load purchases"
          onRetry={() => void purchases.refetch()}
          testId="customer-purchases-error"
        />
      ) : null}
      {purchases.data && rows.length === 0 ? (
        <EmptyState testId="customer-purchases-empty">No purchases yet.</EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <PurchaseTable
          purchases={rows}
          busy={purchases.isFetching}
          showCustomer={false}
          testId="customer-purchases-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={purchases.data?.nextCursor}
        busy={purchases.isFetching}
        testId="customer-purchases-pager"
        label="Purchases"
      />
    </section>
  );
}
