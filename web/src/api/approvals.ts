/** Reads and decisions of approvals (maker–checker for large credit changes). */
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { Approval, ApprovalList, type ApprovalStatus } from '../../../src/contracts/index.js';
import { apiRequest } from './client';
import { PAGE_SIZE } from './queries';

export interface ApprovalFilters {
  readonly status?: ApprovalStatus;
  readonly customerId?: string;
}

export const approvalKeys = {
  all: () => ['approvals'] as const,
  lists: () => ['approvals', 'list'] as const,
  list: (filters: ApprovalFilters, cursor: string | null) => ['approvals', 'list', { ...filters, cursor }] as const,
  one: (id: string) => ['approvals', 'one', id] as const,
};

/** While an approval is pending its page refreshes itself: the decision is someone else's. */
const PENDING_REFRESH_MS = 5_000;

export function useApprovals(filters: ApprovalFilters, cursor: string | null): UseQueryResult<ApprovalList> {
  return useQuery({
    queryKey: approvalKeys.list(filters, cursor),
    queryFn: ({ signal }) =>
      apiRequest(ApprovalList, '/v1/approvals', { query: { ...filters, cursor, limit: PAGE_SIZE }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: PENDING_REFRESH_MS * 3,
  });
}

export function useApproval(approvalId: string): UseQueryResult<Approval> {
  return useQuery({
    queryKey: approvalKeys.one(approvalId),
    queryFn: ({ signal }) => apiRequest(Approval, `/v1/approvals/${encodeURIComponent(approvalId)}`, { signal }),
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? PENDING_REFRESH_MS : false),
  });
}
