/** OpenAPI registration of purchases, attempts and refunds. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  AttemptIdParam,
  ListQuery,
  OverloadedProblem,
  Problem,
  Purchase,
  PurchaseAttempt,
  PurchaseIdParam,
  PurchaseList,
  PurchaseListQuery,
  PurchasePending,
  PurchaseProblem,
  PurchaseRequest,
  PurchaseWithRefunds,
  Refund,
  RefundList,
  RefundRequest,
} from '../../contracts/index.js';
import { IdempotencyHeaders, moneyProblems, problems, withProblemSchema } from '../openapi-parts.js';

export function registerPurchasePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/purchases',
    tags: ['Purchases'],
    summary: "Buy a product with the customer's credit",
    description: [
      'Role: storefront. Runs the purchase saga (Temporal workflow `purchase-<id>`) and waits for it up to PURCHASE_SYNC_TIMEOUT_MS (default 10 s).',
      'The purchase id is fixed by the Idempotency-Key: a repeated request attaches to the same saga and never buys twice.',
      'On every failure no purchase is saved and no credit is deducted; a retry with a new key is safe.',
      'Every problem of a recorded attempt carries `attemptId` (the purchase attempt, `GET /v1/purchase-attempts/{attemptId}`): all refusals of the purchase itself (404, 409, 422 other than `idempotency_key_reused`, 502, 503, and a 500 after the attempt was recorded). Refusals of the request before any attempt exists (401, 403, 400, 413, 415, 429, `idempotency_key_reused`, 503 `overloaded`) have none.',
      'Deviation from the contract table, written down: when the platform does not answer while customer and product are loaded, the answer is 503 `platform_unavailable`. It is not stored against the key: nothing was reserved, and a retry with the same key runs again as a new attempt (a new `attemptId`; the first attempt stays failed).',
      'A product whose price × quantity has no exact number (past 2^53 minor units: the platform accepts any integer price) is refused with 422 `amount_out_of_range` before any credit is reserved.',
      'Overload: when the service cannot take more purchases without answering late — more purchases in flight than PURCHASE_ADMISSION_MAX_IN_FLIGHT across every API process, or (when PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS is set) workflow tasks waiting longer than that for a worker — a request with a new Idempotency-Key is answered 503 `overloaded` with `Retry-After` (seconds, also `retryAfter` in the body) before the key is claimed: no attempt is recorded, nothing is reserved, and a retry with the same key is a first request. A replay of a key already used is answered as usual (its stored answer, or its running saga).',
    ].join('\n\n'),
    request: {
      headers: IdempotencyHeaders,
      body: { required: true, content: { 'application/json': { schema: PurchaseRequest } } },
    },
    responses: {
      201: {
        description: 'Completed; header Location: /v1/purchases/{id}',
        content: { 'application/json': { schema: Purchase } },
      },
      202: {
        description:
          'Still running at the deadline; header Location: /v1/purchase-attempts/{id}. A replay of the key answers 202 until the saga ends.',
        content: { 'application/json': { schema: PurchasePending } },
      },
      ...withProblemSchema(
        moneyProblems(
          'customer_not_found',
          'product_not_found',
          'price_changed',
          'insufficient_credit',
          'product_unavailable',
          'currency_mismatch',
          'promo_code_invalid',
          'amount_out_of_range',
          'service_unavailable',
          'platform_unavailable',
          'purchase_cancelled',
          'overloaded',
        ),
        PurchaseProblem,
        [404, 409],
      ),
      503: {
        description:
          '`overloaded`: admission control refused the purchase before its key was claimed (`Retry-After` always set; no `attemptId`); `service_unavailable`: the database or Temporal did not answer (`Retry-After`); `platform_unavailable`: the platform did not answer while the saga loaded customer and product (with `attemptId`)',
        headers: {
          'Retry-After': {
            description:
              'Seconds to wait before retrying with the same Idempotency-Key; always set with `overloaded` and `service_unavailable`',
            schema: { type: 'integer', minimum: 0 },
          },
        },
        content: { 'application/problem+json': { schema: z.union([OverloadedProblem, Problem]) } },
      },
      502: {
        description: "`shipment_failed`: CreateShipment failed after its retries, with the platform's reason",
        content: { 'application/problem+json': { schema: PurchaseProblem } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchases',
    tags: ['Purchases'],
    summary: 'List purchases, newest first',
    description: 'Role: storefront. Filters combine; keyset-paginated on (createdAt, id).',
    request: { query: PurchaseListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: PurchaseList } } },
      ...problems(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchases/{purchaseId}',
    tags: ['Purchases'],
    summary: 'A purchase with its refunds',
    description: 'Role: storefront.',
    request: { params: PurchaseIdParam },
    responses: {
      200: { description: 'The purchase', content: { 'application/json': { schema: PurchaseWithRefunds } } },
      ...problems('purchase_not_found'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchase-attempts/{attemptId}',
    tags: ['Purchases'],
    summary: 'The state of a purchase attempt',
    description: 'Role: storefront. `error` is the problem body the caller got for a failed attempt.',
    request: { params: AttemptIdParam },
    responses: {
      200: { description: 'The attempt', content: { 'application/json': { schema: PurchaseAttempt } } },
      ...problems('purchase_attempt_not_found'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/purchases/{purchaseId}/refunds',
    tags: ['Refunds'],
    summary: 'Refund a purchase, fully or partly',
    description:
      'Role: support. Runs the `refundPurchase` workflow. `amount` defaults to everything still refundable; racing refunds never exceed the total. If the refund is still running after PURCHASE_SYNC_TIMEOUT_MS the answer is 503 with Retry-After: retry with the same key.',
    request: {
      params: PurchaseIdParam,
      headers: IdempotencyHeaders,
      body: { required: true, content: { 'application/json': { schema: RefundRequest } } },
    },
    responses: {
      201: { description: 'The refund', content: { 'application/json': { schema: Refund } } },
      ...moneyProblems(
        'purchase_not_found',
        'purchase_fully_refunded',
        'refund_exceeds_refundable',
        'service_unavailable',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/purchases/{purchaseId}/refunds',
    tags: ['Refunds'],
    summary: 'Refunds of a purchase, newest first',
    description: 'Role: storefront. A purchase has few refunds: they come in one page (`nextCursor` is null).',
    request: { params: PurchaseIdParam, query: ListQuery },
    responses: {
      200: { description: 'The refunds', content: { 'application/json': { schema: RefundList } } },
      ...problems('purchase_not_found'),
    },
  });
}
