import { Button, InputWrapper, Text, TextField, Title } from '@clickhouse/click-ui';
import { useEffect, useMemo, useState, type FormEvent, type ReactElement } from 'react';
import { useSearchParams } from 'react-router-dom';
import { PurchaseStatus } from '../../../src/contracts/index.js';
import { useProducts, usePurchases, type PurchaseFilters } from '../api/queries';
import { Pager, useCursorPages } from '../components/pager';
import { SelectField } from '../components/select-field';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { AttemptsView, PurchasesViewSwitch } from '../features/attempts-view';
import { PurchaseTable } from '../features/purchase-table';
import { humanize, startOfDay } from '../lib/format';
import { useDocumentTitle } from '../lib/use-document-title';

interface Draft {
  purchaseId: string;
  shipmentId: string;
  promoCode: string;
  customerId: string;
  productId: string;
  status: string;
  from: string;
  to: string;
}

const FIELDS = ['purchaseId', 'shipmentId', 'promoCode', 'customerId', 'productId', 'status', 'from', 'to'] as const;

function draftFrom(params: URLSearchParams): Draft {
  return {
    purchaseId: params.get('purchaseId') ?? '',
    shipmentId: params.get('shipmentId') ?? '',
    promoCode: params.get('promoCode') ?? '',
    customerId: params.get('customerId') ?? '',
    productId: params.get('productId') ?? '',
    status: params.get('status') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

function filtersOf(draft: Draft): PurchaseFilters {
  const status = PurchaseStatus.safeParse(draft.status);
  return {
    ...(draft.purchaseId.trim() ? { purchaseId: draft.purchaseId.trim() } : {}),
    ...(draft.shipmentId.trim() ? { shipmentId: draft.shipmentId.trim() } : {}),
    ...(draft.promoCode.trim() ? { promoCode: draft.promoCode.trim() } : {}),
    ...(draft.customerId.trim() ? { customerId: draft.customerId.trim() } : {}),
    ...(draft.productId ? { productId: draft.productId } : {}),
    ...(status.success ? { status: status.data } : {}),
    ...(startOfDay(draft.from) ? { createdFrom: startOfDay(draft.from) } : {}),
    // "To" is inclusive for the rep; the API's createdTo is an exclusive bound.
    ...(startOfDay(draft.to, 1) ? { createdTo: startOfDay(draft.to, 1) } : {}),
  };
}

export function PurchasesPage(): ReactElement {
  const [params] = useSearchParams();
  const view = params.get('view') === 'attempts' ? 'attempts' : 'purchases';
  return (
    <section className="page" aria-labelledby="purchases-title">
      <div className="page-header">
        <Title type="h1" size="lg" id="purchases-title">
          {view === 'attempts' ? 'Purchase attempts' : 'Purchases'}
        </Title>
        <PurchasesViewSwitch view={view} />
      </div>
      {view === 'attempts' ? <AttemptsView /> : <PurchasesView />}
    </section>
  );
}

function PurchasesView(): ReactElement {
  useDocumentTitle('Purchases');
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => draftFrom(params), [params]);
  const filters = useMemo(() => filtersOf(applied), [applied]);
  const [draft, setDraft] = useState<Draft>(applied);
  const [rangeError, setRangeError] = useState<string | null>(null);
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(() => {
    setDraft(applied);
    reset();
  }, [applied, reset]);
  const purchases = usePurchases(filters, pages.cursor);
  const products = useProducts();
  const rows = purchases.data?.data ?? [];
  const filtered = Object.keys(filters).length > 0;

  const set =
    (field: keyof Draft) =>
    (value: string): void =>
      setDraft((d) => ({ ...d, [field]: value }));
  const apply = (event: FormEvent): void => {
    event.preventDefault();
    if (draft.from && draft.to && draft.from > draft.to) {
      setRangeError('“To” must be on or after “From”.');
      return;
    }
    setRangeError(null);
    const next = new URLSearchParams();
    for (const field of FIELDS) {
      const value = draft[field].trim();
      if (value) next.set(field, value);
    }
    setParams(next);
  };

  const productOptions = [
    { value: '', label: products.isPending ? 'Loading products…' : 'Any product' },
    ...(products.data?.data ?? []).map((p) => ({ value: p.id, label: `${p.name}${p.active ? '' : ' (inactive)'}` })),
  ];
  if (draft.productId && !productOptions.some((o) => o.value === draft.productId))
    productOptions.push({ value: draft.productId, label: draft.productId });

  return (
    <>
      <Text color="muted">
        Completed purchases, newest first. Search by purchase id, shipment id or promo code; filter by customer,
        product, status and dates.
      </Text>
      <form className="filters" onSubmit={apply} aria-label="Purchase filters" data-testid="purchase-filters">
        <TextField
          id="filter-purchase"
          label="Purchase id"
          placeholder="pur_…"
          value={draft.purchaseId}
          onChange={set('purchaseId')}
          data-testid="purchase-filter-purchase"
        />
        <TextField
          id="filter-shipment"
          label="Shipment id"
          placeholder="shp_…"
          value={draft.shipmentId}
          onChange={set('shipmentId')}
          data-testid="purchase-filter-shipment"
        />
        <TextField
          id="filter-promo"
          label="Promo code"
          placeholder="WELCOME10"
          value={draft.promoCode}
          onChange={set('promoCode')}
          data-testid="purchase-filter-promo"
        />
        <TextField
          id="filter-customer"
          label="Customer id"
          placeholder="cus_…"
          value={draft.customerId}
          onChange={set('customerId')}
          data-testid="purchase-filter-customer"
        />
        <SelectField
          id="filter-product"
          label="Product"
          value={draft.productId}
          onChange={set('productId')}
          options={productOptions}
          error={products.isError ? 'The product list could not be loaded.' : undefined}
          testId="purchase-filter-product"
        />
        <SelectField
          id="filter-status"
          label="Status"
          value={draft.status}
          onChange={set('status')}
          options={[
            { value: '', label: 'Any status' },
            ...PurchaseStatus.options.map((s) => ({ value: s, label: humanize(s) })),
          ]}
          testId="purchase-filter-status"
        />
        <InputWrapper id="filter-from" label="From (day)">
          <input
            id="filter-from"
            className="native-input"
            type="date"
            value={draft.from}
            onChange={(e) => set('from')(e.target.value)}
            data-testid="purchase-filter-from"
          />
        </InputWrapper>
        <InputWrapper id="filter-to" label="To (day, inclusive)" error={rangeError ?? undefined}>
          <input
            id="filter-to"
            className="native-input"
            type="date"
            value={draft.to}
            onChange={(e) => set('to')(e.target.value)}
            data-testid="purchase-filter-to"
          />
        </InputWrapper>
        <div className="filters-actions">
          <Button htmlType="submit" type="primary" label="Apply filters" data-testid="purchase-filter-apply" />
          <Button
            type="secondary"
            label="Reset"
            onClick={() => setParams(new URLSearchParams())}
            disabled={!filtered}
            data-testid="purchase-filter-reset"
          />
        </div>
      </form>
      {purchases.isPending ? <Loading what="purchases" /> : null}
      {purchases.isError ? (
        <ErrorMessage
          error={purchases.error}
          title="Could not load purchases"
          onRetry={() => void purchases.refetch()}
          testId="purchases-error"
        />
      ) : null}
      {purchases.data && rows.length === 0 ? (
        <EmptyState testId="purchases-empty">
          {filtered ? 'No purchase matches these filters.' : 'No purchases yet.'}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? <PurchaseTable purchases={rows} busy={purchases.isFetching} /> : null}
      <Pager
        pages={pages}
        nextCursor={purchases.data?.nextCursor}
        busy={purchases.isFetching}
        testId="purchases-pager"
        label="Purchases"
      />
    </>
  );
}
