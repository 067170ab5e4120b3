/**
 * Webhook endpoints (admin): reads of the endpoints and of each one's delivery log. Changes
 * are mutations in the pages; they invalidate these keys. Secrets are never put in the query
 * cache: the API shows one only in the answer of a create or a rotation.
 */
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { WebhookDeliveryList, WebhookEndpoint, WebhookEndpointList } from '../../../src/contracts/index.js';
import { apiRequest } from './client';
import { PAGE_SIZE } from './queries';

export const webhookKeys = {
  all: () => ['webhook-endpoints'] as const,
  list: (cursor: string | null) => ['webhook-endpoints', 'list', { cursor }] as const,
  one: (id: string) => ['webhook-endpoints', 'one', id] as const,
  deliveriesOf: (id: string) => ['webhook-endpoints', 'deliveries', id] as const,
  deliveries: (id: string, cursor: string | null) => ['webhook-endpoints', 'deliveries', id, { cursor }] as const,
};

/** Deliveries happen in the background (the endpoint's workflow): the newest page of the log is read again this often. */
export const DELIVERY_REFRESH_MS = 2_000;

export function useWebhookEndpoints(cursor: string | null): UseQueryResult<WebhookEndpointList> {
  return useQuery({
    queryKey: webhookKeys.list(cursor),
    queryFn: ({ signal }) =>
      apiRequest(WebhookEndpointList, '/v1/webhook-endpoints', { query: { cursor, limit: PAGE_SIZE }, signal }),
    placeholderData: keepPreviousData,
  });
}

export function useWebhookEndpoint(id: string): UseQueryResult<WebhookEndpoint> {
  return useQuery({
    queryKey: webhookKeys.one(id),
    queryFn: ({ signal }) => apiRequest(WebhookEndpoint, `/v1/webhook-endpoints/${encodeURIComponent(id)}`, { signal }),
    // Read again when its delivery log shows a new attempt (features/webhook-deliveries.tsx) and after a change.
  });
}

/** The newest page refreshes itself; older pages stay as they were read. */
export function useWebhookDeliveries(id: string, cursor: string | null): UseQueryResult<WebhookDeliveryList> {
  return useQuery({
    queryKey: webhookKeys.deliveries(id, cursor),
    queryFn: ({ signal }) =>
      apiRequest(WebhookDeliveryList, `/v1/webhook-endpoints/${encodeURIComponent(id)}/deliveries`, {
        query: { cursor, limit: PAGE_SIZE },
        signal,
      }),
    placeholderData: keepPreviousData,
    refetchInterval: cursor === null ? DELIVERY_REFRESH_MS : false,
  });
}
