import { Button, Table, Text, Title } from '@clickhouse/click-ui';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import type { PurchaseWithRefunds } from '../../../src/contracts/index.js';
import { useCustomer, usePurchase } from '../api/queries';
import { PurchaseStatusBadge } from '../components/badges';
import { Money } from '../components/money';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { RefundForm, refundableOf } from '../features/refund-form';
import { formatDateTime, humanize } from '../lib/format';
import { temporalWorkflowUrl } from '../lib/temporal';
import { isNotFound, ResourceNotFound } from './not-found';
import { can, useSession } from '../session';
import { useDocumentTitle } from '../lib/use-document-title';

export function PurchasePage(): ReactElement {
  const { purchaseId = '' } = useParams();
  return <PurchaseDetails key={purchaseId} purchaseId={purchaseId} />;
}

function PurchaseDetails({ purchaseId }: { readonly purchaseId: string }): ReactElement {
  useDocumentTitle(`Purchase ${purchaseId}`);
  const purchase = usePurchase(purchaseId);
  return (
    <section className="page" aria-labelledby="purchase-title">
      <Text size="sm">
        <Link to="/purchases">← Purchases</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="purchase-title">
          Purchase <code>{purchaseId}</code>
        </Title>
        {purchase.data ? <PurchaseStatusBadge status={purchase.data.status} testId="purchase-status" /> : null}
      </div>
      {purchase.isPending ? <Loading what="purchase" /> : null}
      {purchase.isError && isNotFound(purchase.error, 'purchase_not_found') ? (
        <ResourceNotFound what="purchase" id={purchaseId}>
          Check the id (it looks like <code>pur_01JD…</code>), or <Link to="/purchases">search purchases</Link> by
          purchase id, shipment id or promo code. A purchase that failed never became a purchase: look for it under{' '}
          <Link to="/purchases?view=attempts">purchase attempts</Link>.
        </ResourceNotFound>
      ) : null}
      {purchase.isError && !isNotFound(purchase.error, 'purchase_not_found') ? (
        <ErrorMessage
          error={purchase.error}
          title="Could not load the purchase"
          onRetry={() => void purchase.refetch()}
          testId="purchase-error"
        />
      ) : null}
      {purchase.data ? <PurchaseBody purchase={purchase.data} /> : null}
    </section>
  );
}

function PurchaseBody({ purchase }: { readonly purchase: PurchaseWithRefunds }): ReactElement {
  const { me } = useSession();
  const [refunding, setRefunding] = useState(false);
  const refundsTitle = useRef<HTMLHeadingElement>(null);
  const closeRefund = (): void => {
    setRefunding(false);
    setTimeout(() => refundsTitle.current?.focus(), 0);
  };
  const customer = useCustomer(purchase.customerId);
  const refundable = refundableOf(purchase);
  const temporalUrl = temporalWorkflowUrl(me, purchase.workflowId);
  const address = purchase.shipment.address;
  const location = useLocation();
  // Ledger links point at a refund with #ref_…: bring it into view.
  useEffect(() => {
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: 'center' });
  }, [location.hash]);

  return (
    <>
      <dl className="facts" data-testid="purchase-overview">
        <div>
          <dt>Customer</dt>
          <dd>
            <Link to={`/customers/${encodeURIComponent(purchase.customerId)}`} data-testid="purchase-customer-link">
              {customer.data?.name ?? purchase.customerId}
            </Link>
            {customer.data ? (
              <Text component="span" size="xs" color="muted">
                {' '}
                <code>{purchase.customerId}</code>
              </Text>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={purchase.createdAt}>{formatDateTime(purchase.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Workflow</dt>
          <dd>
            {temporalUrl ? (
              <a href={temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
                <code>{purchase.workflowId}</code> in Temporal <span aria-hidden>↗</span>
                <span className="visually-hidden"> (opens in a new tab)</span>
              </a>
            ) : (
              <code data-testid="workflow-id">{purchase.workflowId}</code>
            )}
          </dd>
        </div>
      </dl>

      <div className="two-columns">
        <section className="section panel" aria-labelledby="snapshot-title" data-testid="purchase-snapshot">
          <Title type="h2" size="md" id="snapshot-title">
            What was bought
          </Title>
          <Text size="xs" color="muted">
            A snapshot taken at purchase time; later catalogue changes do not alter it.
          </Text>
          <dl className="amounts">
            <dt>Product</dt>
            <dd data-testid="purchase-product">
              {purchase.productName}{' '}
              <Text component="span" size="xs" color="muted">
                <code>{purchase.productId}</code>
              </Text>
            </dd>
            <dt>Unit price</dt>
            <dd>
              <Money amount={purchase.unitPrice} currency={purchase.currency} testId="purchase-unit-price" />
            </dd>
            <dt>Quantity</dt>
            <dd data-testid="purchase-quantity">{purchase.quantity}</dd>
            <dt>Subtotal</dt>
            <dd>
              <Money amount={purchase.subtotal} currency={purchase.currency} />
            </dd>
            <dt>
              Discount
              {purchase.promoCode ? (
                <>
                  {' '}
                  (<code>{purchase.promoCode}</code>)
                </>
              ) : null}
            </dt>
            <dd>
              <Money
                amount={purchase.discount === 0 ? 0 : -purchase.discount}
                currency={purchase.currency}
                testId="purchase-discount"
              />
            </dd>
            <dt className="amount-total">Total</dt>
            <dd className="amount-total">
              <Money amount={purchase.total} currency={purchase.currency} testId="purchase-total" />
            </dd>
            <dt>Refunded</dt>
            <dd>
              <Money amount={purchase.refundedAmount} currency={purchase.currency} testId="purchase-refunded" />
            </dd>
            <dt>Still refundable</dt>
            <dd>
              <Money amount={refundable} currency={purchase.currency} testId="purchase-refundable" />
            </dd>
          </dl>
        </section>

        <section className="section panel" aria-labelledby="shipment-title" data-testid="purchase-shipment">
          <Title type="h2" size="md" id="shipment-title">
            Shipment
          </Title>
          <dl className="amounts">
            <dt>Shipment</dt>
            <dd>
              <code data-testid="shipment-id">{purchase.shipment.id}</code>
            </dd>
            <dt>Status</dt>
            <dd data-testid="shipment-status">{humanize(purchase.shipment.status)}</dd>
            <dt>Address</dt>
            <dd>
              <address data-testid="shipment-address">
                {address.line1}
                <br />
                {address.line2 ? (
                  <>
                    {address.line2}
                    <br />
                  </>
                ) : null}
                {address.postalCode} {address.city}
                <br />
                {address.country}
              </address>
            </dd>
          </dl>
        </section>
      </div>

      <section className="section" aria-labelledby="refunds-title" data-testid="purchase-refunds">
        <div className="section-header">
          <Title type="h2" size="md" id="refunds-title" ref={refundsTitle} tabIndex={-1}>
            Refunds
          </Title>
          {can(me, 'refund') && refundable > 0 && !refunding ? (
            <Button type="primary" label="Refund…" onClick={() => setRefunding(true)} data-testid="refund-open" />
          ) : null}
        </div>
        {refundable === 0 ? (
          <Text size="sm" color="muted" data-testid="fully-refunded-note">
            Nothing left to refund: this purchase is fully refunded.
          </Text>
        ) : null}
        {refunding ? <RefundForm purchase={purchase} onClose={closeRefund} /> : null}
        {purchase.refunds.length === 0 ? (
          <EmptyState testId="refunds-empty">No refunds yet.</EmptyState>
        ) : (
          <Table
            headers={[
              { label: 'Time', width: '225px' },
              { label: 'Refund', width: '270px' },
              { label: 'Amount', width: '120px' },
              { label: 'Reason' },
              { label: 'Note' },
              { label: 'Actor', width: '110px' },
            ]}
            rows={purchase.refunds.map((refund) => ({
              id: refund.id,
              'data-testid': 'refund-row',
              'data-refund-id': refund.id,
              items: [
                {
                  label: (
                    <time dateTime={refund.createdAt} id={refund.id}>
                      {formatDateTime(refund.createdAt)}
                    </time>
                  ),
                },
                { label: <code>{refund.id}</code> },
                { label: <Money amount={refund.amount} currency={refund.currency} /> },
                { label: humanize(refund.reason), overflowMode: 'wrap' },
                { label: refund.note ?? '—', overflowMode: 'wrap' },
                { label: refund.actor },
              ],
            }))}
            size="sm"
            className="data-table"
            aria-label="Refunds"
            data-testid="refunds-table"
          />
        )}
      </section>
    </>
  );
}
