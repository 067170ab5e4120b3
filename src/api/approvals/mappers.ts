/** Database rows → API contracts for approvals. */
import type { Approval } from '../../contracts/approvals.js';
import type { CreditReason } from '../../contracts/credit.js';
import type { ApprovalRow } from '../../db/schema.js';

export function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    customerId: row.customerId,
    kind: row.kind,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason as CreditReason,
    note: row.note,
    requestedBy: row.requestedBy,
    requestedAt: row.createdAt.toISOString(),
    status: row.status,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionNote: row.decisionNote,
    entryId: row.entryId,
    expiresAt: row.expiresAt.toISOString(),
    workflowId: row.workflowId,
  };
}
