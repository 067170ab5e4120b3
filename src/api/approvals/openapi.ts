/** OpenAPI registration of approvals (maker–checker for large credit changes). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  Approval,
  ApprovalDecision,
  ApprovalIdParam,
  ApprovalList,
  ApprovalListQuery,
  ApproveRequest,
  RejectRequest,
} from '../../contracts/index.js';
import { bodyProblems, problems } from '../openapi-parts.js';

export function registerApprovalPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/approvals',
    tags: ['Approvals'],
    summary: 'Approvals of large credit changes, newest first',
    description:
      'Role: support. A support grant or deduction of at least APPROVAL_THRESHOLD becomes an approval (`202` from the credit route). Filters `status`, `customerId`; keyset-paginated on (requestedAt, id).',
    request: { query: ApprovalListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: ApprovalList } } },
      ...problems(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/approvals/{approvalId}',
    tags: ['Approvals'],
    summary: 'An approval',
    description: 'Role: support.',
    request: { params: ApprovalIdParam },
    responses: {
      200: { description: 'The approval', content: { 'application/json': { schema: Approval } } },
      ...problems('approval_not_found'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/approvals/{approvalId}/approve',
    tags: ['Approvals'],
    summary: 'Approve and post a large credit change',
    description: [
      "Role: admin. An Update (`approve`) of the approval's `creditApproval` workflow; it posts the entry in one transaction: `actor` is the requester, `approvedBy` this admin.",
      'The requester may not approve their own request (403 `approval_self_decision`); a decided or expired approval → 409 `approval_not_pending`; a deduction that no longer fits the available balance → 409 `insufficient_credit`, and the approval stays pending.',
      'The body is optional: a request with no body (no Content-Length or `Content-Length: 0`, whatever its Content-Type) is read as `{}`; a body that is sent must be `application/json` (else 415 `unsupported_media_type`).',
      'No Idempotency-Key: an approval posts at most one entry, so a repeated approve answers 409 `approval_not_pending` (read the approval for the entry). Racing approvals post one entry.',
    ].join('\n\n'),
    request: {
      params: ApprovalIdParam,
      body: { required: false, content: { 'application/json': { schema: ApproveRequest } } },
    },
    responses: {
      201: {
        description: 'Approved: the approval, the entry and the balance after it',
        content: { 'application/json': { schema: ApprovalDecision } },
      },
      ...bodyProblems(
        'approval_self_decision',
        'approval_not_found',
        'approval_not_pending',
        'insufficient_credit',
        'currency_mismatch',
        'service_unavailable',
      ),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/approvals/{approvalId}/reject',
    tags: ['Approvals'],
    summary: 'Reject a large credit change',
    description:
      "Role: admin. An Update (`reject`) of the approval's workflow; nothing is posted. The note is required: the requester sees it. Same refusals as approve.",
    request: {
      params: ApprovalIdParam,
      body: { required: true, content: { 'application/json': { schema: RejectRequest } } },
    },
    responses: {
      200: { description: 'The rejected approval', content: { 'application/json': { schema: Approval } } },
      ...bodyProblems('approval_self_decision', 'approval_not_found', 'approval_not_pending', 'service_unavailable'),
    },
  });
}
