/**
 * Activities of the `creditApproval` workflow (maker–checker). Each is one database
 * transaction and idempotent: the approval id keys the request row, the decision runs under
 * the approval's row lock, and the posted entry's ledger key is derived from the approval.
 * A business refusal (`insufficient_credit`, `currency_mismatch`) is a non-retryable failure
 * whose type is the API error code; the workflow leaves the approval pending then.
 */
import {
  approveAndPost,
  expireApproval,
  insertApproval,
  rejectApproval,
  type DecisionInput,
  type NewApproval,
} from '../src/db/approval-repository.js';
import type { ApprovalRow } from '../src/db/schema.js';
import type { ApprovalKind, ApprovalStatus } from '../src/domain/approval.js';
import type { ActivityDeps } from './deps.js';
import { refusingDomainErrors } from './failures.js';

/** What the workflow keeps of an approval row (plain data: it travels through the history). */
export interface ApprovalRecord {
  readonly id: string;
  readonly customerId: string;
  readonly kind: ApprovalKind;
  readonly amount: number;
  readonly currency: string;
  readonly status: ApprovalStatus;
  readonly requestedBy: string;
  readonly expiresAt: string;
  readonly decidedBy: string | null;
  readonly decisionNote: string | null;
  readonly entryId: string | null;
}

export interface RecordApprovalInput extends Omit<NewApproval, 'id' | 'expiresAt'> {
  readonly approvalId: string;
  /** RFC 3339; fixed by the workflow (its start time + TTL), so the row and the timer agree. */
  readonly expiresAt: string;
}

export type ApprovalDecisionInput = DecisionInput;

export interface ApprovalActivities {
  recordApprovalRequest(input: RecordApprovalInput): Promise<ApprovalRecord>;
  /** Posts the entry and marks the approval approved; returns the row (another status if someone else decided first). */
  approveCreditChange(input: ApprovalDecisionInput): Promise<ApprovalRecord>;
  rejectCreditChange(input: ApprovalDecisionInput): Promise<ApprovalRecord>;
  expireCreditApproval(input: { approvalId: string }): Promise<ApprovalRecord>;
}

export function toApprovalRecord(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    customerId: row.customerId,
    kind: row.kind,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    requestedBy: row.requestedBy,
    expiresAt: row.expiresAt.toISOString(),
    decidedBy: row.decidedBy,
    decisionNote: row.decisionNote,
    entryId: row.entryId,
  };
}

export function createApprovalActivities(deps: ActivityDeps): ApprovalActivities {
  const { db } = deps.database;
  return {
    async recordApprovalRequest(input) {
      const { approvalId, expiresAt, ...request } = input;
      const row = await db.transaction((tx) =>
        insertApproval(tx, { ...request, id: approvalId, expiresAt: new Date(expiresAt) }),
      );
      return toApprovalRecord(row);
    },
    async approveCreditChange(input) {
      const result = await refusingDomainErrors(() => db.transaction((tx) => approveAndPost(tx, input)));
      if (result.status === 'approved') {
        deps.logger.info(
          { approvalId: input.approvalId, entryId: result.entry.id, decidedBy: input.decidedBy },
          'approval approved, entry posted',
        );
      }
      return toApprovalRecord(result.approval);
    },
    async rejectCreditChange(input) {
      return toApprovalRecord(await db.transaction((tx) => rejectApproval(tx, input)));
    },
    async expireCreditApproval(input) {
      return toApprovalRecord(await db.transaction((tx) => expireApproval(tx, input.approvalId)));
    },
  };
}
