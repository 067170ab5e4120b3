/** OpenAPI registration of the purchase-attempt list and the admin's cancel. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  AttemptIdParam,
  CancelAttemptRequest,
  PurchaseAttemptList,
  PurchaseAttemptListQuery,
  PurchaseAttemptSummary,
} from '../../contracts/index.js';
import { bodyProblems, problems } from '../openapi-parts.js';

export function registerPurchaseAttemptPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/purchase-attempts',
    tags: ['Purchases'],
    summary: 'List purchase attempts, newest first',
    description: [
      'Role: support. Every purchase request, successful or not: pending ones with what they hold and where their saga is, failed ones with the problem body their caller got, completed ones with their purchase id.',
      'Filters combine; keyset-paginated on (createdAt, id). Stuck purchases: `status=pending&createdTo=<now minus a threshold>`.',
      "`stage` and `lastError` of a pending attempt come from its saga's `status` query (within 2 s for the whole page; a saga that does not answer in time shows `started`).",
    ].join('\n\n'),
    request: { query: PurchaseAttemptListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: PurchaseAttemptList } } },
      ...problems(),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/purchase-attempts/{attemptId}/cancel',
    tags: ['Purchases'],
    summary: 'Cancel a purchase saga stuck waiting on the platform',
    description: [
      "Role: admin. Runs the saga's `cancelPurchase` update, which the saga accepts only while it waits on the platform (stage `shipping` or `verifying_shipment`); otherwise 409 `purchase_not_cancellable` (also when the attempt already ended).",
      'The saga stops retrying CreateShipment and still looks the shipment up by its idempotency key: if the platform has it, the purchase commits (too late to cancel); if not, the hold is released and the attempt fails with `purchase_cancelled`, whose detail names the admin and the reason.',
      'The actor and reason are recorded on the attempt (`cancellation`). The call waits up to PURCHASE_SYNC_TIMEOUT_MS for the saga to end: 200 with the ended attempt, or 202 (Location: the attempt) while it still ends.',
      'Not money-moving in the idempotency sense: repeating it is harmless (the first cancel is the one the saga acts on; after the end it is 409).',
    ].join('\n\n'),
    request: {
      params: AttemptIdParam,
      body: { required: true, content: { 'application/json': { schema: CancelAttemptRequest } } },
    },
    responses: {
      200: {
        description: 'The saga ended; the attempt as listed',
        content: { 'application/json': { schema: PurchaseAttemptSummary } },
      },
      202: {
        description: 'Accepted; the saga is still ending. Header Location: /v1/purchase-attempts/{id}',
        content: { 'application/json': { schema: PurchaseAttemptSummary } },
      },
      ...bodyProblems('purchase_attempt_not_found', 'purchase_not_cancellable'),
    },
  });
}
