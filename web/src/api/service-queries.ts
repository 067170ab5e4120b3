/**
 * TanStack Query hooks of the customer-service and admin screens: purchase attempts, promo
 * codes, reconciliation runs. Keys live here so mutations can invalidate them.
 */
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import {
  PromoCodeList,
  PromoCodeWithAudit,
  PurchaseAttemptList,
  ReconciliationRun,
  ReconciliationRunList,
  type AttemptStatus,
} from '../../../src/contracts/index.js';
import { apiRequest } from './client';
import { PAGE_SIZE } from './queries';

export interface AttemptFilters {
  readonly customerId?: string;
  readonly status?: AttemptStatus;
  readonly createdFrom?: string;
  readonly createdTo?: string;
}

export const serviceKeys = {
  attemptsAll: () => ['attempts'] as const,
  attempts: (filters: AttemptFilters, cursor: string | null, limit: number) =>
    ['attempts', { ...filters, cursor, limit }] as const,
  promoCodesAll: () => ['promo-codes'] as const,
  promoCodes: (cursor: string | null) => ['promo-codes', { cursor }] as const,
  promoCode: (code: string) => ['promo-codes', 'one', code] as const,
  runsAll: () => ['reconciliation-runs'] as const,
  runs: (cursor: string | null) => ['reconciliation-runs', { cursor }] as const,
  run: (id: string) => ['reconciliation-runs', 'one', id] as const,
};

/** How often a list with something still running (a saga, a reconciliation run) is read again. */
export const POLL_MS = 2_000;

/** Re-read every POLL_MS while a shown attempt is pending, so its outcome appears when its saga ends. */
export function useAttempts(
  filters: AttemptFilters,
  cursor: string | null,
  limit = PAGE_SIZE,
): UseQueryResult<PurchaseAttemptList> {
  return useQuery({
    queryKey: serviceKeys.attempts(filters, cursor, limit),
    queryFn: ({ signal }) =>
      apiRequest(PurchaseAttemptList, '/v1/purchase-attempts', { query: { ...filters, cursor, limit }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.data.some((a) => a.status === 'pending') ? POLL_MS : false),
  });
}

export function usePromoCodes(cursor: string | null): UseQueryResult<PromoCodeList> {
  return useQuery({
    queryKey: serviceKeys.promoCodes(cursor),
    queryFn: ({ signal }) =>
      apiRequest(PromoCodeList, '/v1/promo-codes', { query: { cursor, limit: PAGE_SIZE }, signal }),
    placeholderData: keepPreviousData,
  });
}

export function usePromoCode(code: string): UseQueryResult<PromoCodeWithAudit> {
  return useQuery({
    queryKey: serviceKeys.promoCode(code),
    queryFn: ({ signal }) => apiRequest(PromoCodeWithAudit, `/v1/promo-codes/${encodeURIComponent(code)}`, { signal }),
  });
}

/** Re-read every POLL_MS while a shown run is still running. */
export function useReconciliationRuns(cursor: string | null): UseQueryResult<ReconciliationRunList> {
  return useQuery({
    queryKey: serviceKeys.runs(cursor),
    queryFn: ({ signal }) =>
      apiRequest(ReconciliationRunList, '/v1/reconciliation/runs', { query: { cursor, limit: PAGE_SIZE }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.data.some((r) => r.status === 'running') ? POLL_MS : false),
  });
}

export function useReconciliationRun(id: string): UseQueryResult<ReconciliationRun> {
  return useQuery({
    queryKey: serviceKeys.run(id),
    queryFn: ({ signal }) =>
      apiRequest(ReconciliationRun, `/v1/reconciliation/runs/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? POLL_MS : false),
  });
}
