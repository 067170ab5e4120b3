/** OpenAPI registration of the credit routes. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  ApprovalRequested,
  CreditBalance,
  CreditBalanceQuery,
  CreditMovementRequest,
  CreditMovementResponse,
  CustomerIdParam,
  LedgerEntryList,
  ListQuery,
} from '../../contracts/index.js';
import { IdempotencyHeaders, moneyProblems, problems } from '../openapi-parts.js';

const APPROVAL_NOTE =
  '\n\nMaker–checker: from a `support` token, an amount of at least APPROVAL_THRESHOLD (default 50000; 0 = off) is not posted but answers 202 with an approval that an admin decides (`/v1/approvals`); admin tokens post at once. Replaying the key returns the approval (202) while pending, then the outcome: 201 with the entry once approved, 409 `approval_rejected` or `approval_expired` otherwise. For an approval, `currency_mismatch` and (deductions) `insufficient_credit` are checked at request time and are not remembered against the key.';

export function registerCreditPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{customerId}/credit',
    tags: ['Credit'],
    summary: 'Credit balance of a customer, now or at an instant',
    description: [
      'Role: storefront. `available = balance - held`. A customer with no history has zeros (in the default currency).',
      "With `asOf`: the balance as it was at that instant, from the journal and the hold history — `balance` is the `balanceAfter` of the last entry created at or before `asOf`, `held` the sum of the holds created at or before it and not captured or released by then. One index seek per part, however long the account's history. An instant before the account's first movement gives zeros in its currency; an instant in the future is 400 `instant_in_future`.",
    ].join('\n\n'),
    request: { params: CustomerIdParam, query: CreditBalanceQuery },
    responses: {
      200: { description: 'The balance', content: { 'application/json': { schema: CreditBalance } } },
      ...problems('customer_not_found', 'platform_unavailable', 'instant_in_future'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{customerId}/credit/entries',
    tags: ['Credit'],
    summary: 'Ledger entries of a customer, newest first',
    description: "Role: storefront. Keyset-paginated on the account's gap-free entry sequence.",
    request: { params: CustomerIdParam, query: ListQuery },
    responses: {
      200: { description: 'A page of entries', content: { 'application/json': { schema: LedgerEntryList } } },
      ...problems('customer_not_found', 'platform_unavailable'),
    },
  });
  for (const kind of ['grants', 'deductions'] as const) {
    registry.registerPath({
      method: 'post',
      path: `/v1/customers/{customerId}/credit/${kind}`,
      tags: ['Credit'],
      summary: kind === 'grants' ? 'Grant credit' : 'Deduct credit',
      description:
        kind === 'grants'
          ? 'Role: support. A support token may grant at most MAX_GRANT_AMOUNT at once (admin: no limit beyond the global amount bound). The first movement of a customer opens the account in its currency.' +
            APPROVAL_NOTE
          : 'Role: support. More than `available` → 409 `insufficient_credit` (with `available` and `required`), nothing written.' +
            APPROVAL_NOTE,
      request: {
        params: CustomerIdParam,
        headers: IdempotencyHeaders,
        body: { required: true, content: { 'application/json': { schema: CreditMovementRequest } } },
      },
      responses: {
        201: {
          description: 'The entry and the balance after it',
          content: { 'application/json': { schema: CreditMovementResponse } },
        },
        202: {
          description:
            "A support token's change of at least APPROVAL_THRESHOLD: sent for approval, nothing posted; header Location: /v1/approvals/{id}",
          headers: { Location: { description: '/v1/approvals/{approvalId}', schema: { type: 'string' } } },
          content: { 'application/json': { schema: ApprovalRequested } },
        },
        ...moneyProblems(
          'customer_not_found',
          'idempotency_key_in_use',
          'currency_mismatch',
          'platform_unavailable',
          'approval_rejected',
          'approval_expired',
          'service_unavailable',
          ...(kind === 'grants' ? (['amount_exceeds_limit'] as const) : (['insufficient_credit'] as const)),
        ),
      },
    });
  }
}
