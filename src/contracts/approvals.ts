/** Approvals of large credit changes (maker–checker). */
import { z } from 'zod';
import { Amount, Currency, ExternalId, ListQuery, Note, Timestamp, listOf } from './common.js';
import { CreditBalance, CreditMovementResponse, CreditReason, LedgerEntry } from './credit.js';

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired']).meta({ id: 'ApprovalStatus' });
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const ApprovalKind = z.enum(['grant', 'deduction']).meta({ id: 'ApprovalKind' });
export type ApprovalKind = z.infer<typeof ApprovalKind>;

export const ApprovalIdParam = z.object({
  approvalId: z
    .string()
    .regex(/^apr_[0-9A-Z]{26}$/, 'an approval id such as apr_01JD…')
    .meta({ example: 'apr_01JDQ8X4N2V7W3K5M9P0R1S2T3' }),
});
export type ApprovalIdParam = z.infer<typeof ApprovalIdParam>;

export const Approval = z
  .object({
    id: z.string().meta({ example: 'apr_01JDQ8X4N2V7W3K5M9P0R1S2T3' }),
    customerId: z.string(),
    kind: ApprovalKind,
    amount: Amount,
    currency: Currency,
    reason: CreditReason,
    note: z.string().nullable(),
    requestedBy: z.string().meta({ description: 'Name of the support token that asked for the change' }),
    requestedAt: Timestamp,
    status: ApprovalStatus,
    decidedBy: z
      .string()
      .nullable()
      .meta({ description: 'The admin who approved or rejected it; null while pending and for an expired approval' }),
    decidedAt: Timestamp.nullable(),
    decisionNote: z.string().nullable(),
    entryId: z.string().nullable().meta({ description: 'The ledger entry posted when approved' }),
    expiresAt: Timestamp.meta({
      description: 'Undecided by then, the approval expires (APPROVAL_TTL_MS after the request)',
    }),
    workflowId: z.string().meta({ description: 'The `creditApproval` Temporal workflow that waits for the decision' }),
  })
  .meta({
    id: 'Approval',
    description: 'A support grant or deduction at or above APPROVAL_THRESHOLD, waiting for (or decided by) an admin',
  });
export type Approval = z.infer<typeof Approval>;

export const ApprovalRequested = z
  .object({
    approvalId: z.string(),
    status: z.literal('pending'),
    expiresAt: Timestamp,
  })
  .meta({
    id: 'ApprovalRequested',
    description: 'The credit change was not posted: it waits for an admin (Location: /v1/approvals/{id})',
  });
export type ApprovalRequested = z.infer<typeof ApprovalRequested>;

/** What a grant or deduction answers: the posted entry (201), or the approval it waits for (202). */
export const CreditMovementOutcome = z.union([CreditMovementResponse, ApprovalRequested]);
export type CreditMovementOutcome = z.infer<typeof CreditMovementOutcome>;

export const ApprovalListQuery = ListQuery.extend({
  status: ApprovalStatus.optional(),
  customerId: ExternalId.optional(),
}).strict();
export type ApprovalListQuery = z.infer<typeof ApprovalListQuery>;

export const ApprovalList = listOf(Approval, 'ApprovalList');
export type ApprovalList = z.infer<typeof ApprovalList>;

const DecisionNote = Note;

export const ApproveRequest = z.strictObject({ note: DecisionNote.optional() }).meta({ id: 'ApproveRequest' });
export type ApproveRequest = z.infer<typeof ApproveRequest>;

export const RejectRequest = z
  .strictObject({ note: DecisionNote.meta({ description: 'Why the change is refused; the requester sees it' }) })
  .meta({ id: 'RejectRequest' });
export type RejectRequest = z.infer<typeof RejectRequest>;

export const ApprovalDecision = z.object({ approval: Approval, entry: LedgerEntry, credit: CreditBalance }).meta({
  id: 'ApprovalDecision',
  description: 'The approved change: the approval, the posted entry and the balance after it',
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;
