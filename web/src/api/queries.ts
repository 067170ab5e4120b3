/** TanStack Query hooks for every read the app makes; keys live here so mutations can invalidate them. */
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import {
  CreditBalance,
  CustomerList,
  CustomerView,
  LedgerEntryList,
  Me,
  ProductList,
  PurchaseList,
  PurchaseWithRefunds,
  type PurchaseStatus,
} from '../../../src/contracts/index.js';
import { apiRequest } from './client';

export const PAGE_SIZE = 20;

export interface PurchaseFilters {
  readonly purchaseId?: string;
  readonly shipmentId?: string;
  readonly promoCode?: string;
  readonly customerId?: string;
  readonly productId?: string;
  readonly status?: PurchaseStatus;
  readonly createdFrom?: string;
  readonly createdTo?: string;
}

export const queryKeys = {
  me: (token: string) => ['me', token] as const,
  customers: (query: string, cursor: string | null) => ['customers', { query, cursor }] as const,
  customer: (id: string) => ['customer', id] as const,
  credit: (customerId: string) => ['credit', customerId] as const,
  ledgerOf: (customerId: string) => ['ledger', customerId] as const,
  ledger: (customerId: string, cursor: string | null) => ['ledger', customerId, { cursor }] as const,
  purchasesAll: () => ['purchases'] as const,
  purchases: (filters: PurchaseFilters, cursor: string | null, limit: number) =>
    ['purchases', { ...filters, cursor, limit }] as const,
  purchase: (id: string) => ['purchase', id] as const,
  products: () => ['products'] as const,
};

export function fetchMe(token: string, signal?: AbortSignal): Promise<Me> {
  return apiRequest(Me, '/v1/me', { token, signal });
}

export function useCustomers(query: string, cursor: string | null): UseQueryResult<CustomerList> {
  return useQuery({
    queryKey: queryKeys.customers(query, cursor),
    queryFn: ({ signal }) =>
      apiRequest(CustomerList, '/v1/customers', { query: { query, cursor, limit: PAGE_SIZE }, signal }),
    placeholderData: keepPreviousData,
  });
}

export function useCustomer(customerId: string): UseQueryResult<CustomerView> {
  return useQuery({
    queryKey: queryKeys.customer(customerId),
    queryFn: ({ signal }) => apiRequest(CustomerView, `/v1/customers/${encodeURIComponent(customerId)}`, { signal }),
  });
}

export function useCredit(customerId: string): UseQueryResult<CreditBalance> {
  return useQuery({
    queryKey: queryKeys.credit(customerId),
    queryFn: ({ signal }) =>
      apiRequest(CreditBalance, `/v1/customers/${encodeURIComponent(customerId)}/credit`, { signal }),
  });
}

export function useLedger(customerId: string, cursor: string | null): UseQueryResult<LedgerEntryList> {
  return useQuery({
    queryKey: queryKeys.ledger(customerId, cursor),
    queryFn: ({ signal }) =>
      apiRequest(LedgerEntryList, `/v1/customers/${encodeURIComponent(customerId)}/credit/entries`, {
        query: { cursor, limit: PAGE_SIZE },
        signal,
      }),
    placeholderData: keepPreviousData,
  });
}

export function usePurchases(
  filters: PurchaseFilters,
  cursor: string | null,
  limit = PAGE_SIZE,
): UseQueryResult<PurchaseList> {
  return useQuery({
    queryKey: queryKeys.purchases(filters, cursor, limit),
    queryFn: ({ signal }) =>
      apiRequest(PurchaseList, '/v1/purchases', { query: { ...filters, cursor, limit }, signal }),
    placeholderData: keepPreviousData,
  });
}

export function usePurchase(purchaseId: string): UseQueryResult<PurchaseWithRefunds> {
  return useQuery({
    queryKey: queryKeys.purchase(purchaseId),
    queryFn: ({ signal }) =>
      apiRequest(PurchaseWithRefunds, `/v1/purchases/${encodeURIComponent(purchaseId)}`, { signal }),
  });
}

/** The catalogue for the product filter: the first 100 products are plenty for a dropdown. */
export function useProducts(): UseQueryResult<ProductList> {
  return useQuery({
    queryKey: queryKeys.products(),
    queryFn: ({ signal }) => apiRequest(ProductList, '/v1/products', { query: { limit: 100 }, signal }),
    staleTime: 5 * 60_000,
  });
}
