/**
 * `creditApproval`: maker–checker for a large support grant or deduction. The workflow
 * records the request (an `approvals` row), then waits — with a durable timer of
 * APPROVAL_TTL_MS — for an admin's decision, which arrives as an Update:
 *
 * - `approve` / `reject` are validated before they enter the history: the requester may not
 *   decide their own request (`approval_self_decision`), and only a pending approval can be
 *   decided (`approval_not_pending`). Accepted decisions run one at a time (the handlers
 *   queue on a flag), and the database is the final judge: the decision activity locks the
 *   approval row, so racing decisions — also from outside this workflow — post one entry.
 * - `approve` posts the entry in one transaction (actor = requester, approved_by = admin).
 *   A deduction that no longer fits fails the Update with `insufficient_credit`; the
 *   approval stays pending and an admin may try again or reject it.
 * - Undecided at the deadline, the approval expires; the workflow ends with every decision.
 *
 * Operators find pending approvals in the Web UI with
 * `WorkflowType = "creditApproval" AND ApprovalStatus = "pending"`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ApprovalDecisionInput, ApprovalRecord, RecordApprovalInput } from '../activities/approval.js';
import { ApprovalStatusKey } from './search-attributes.js';

export type { ApprovalRecord } from '../activities/approval.js';

/** The request as the API received it; the workflow adds its id and the deadline when it records it. */
export interface CreditApprovalInput extends Omit<RecordApprovalInput, 'workflowId' | 'expiresAt'> {
  /** How long an admin has to decide; an input, so a deploy never changes a running approval's deadline. */
  readonly ttlMs: number;
}

export interface DecisionRequest {
  /** Name of the admin token that decides. */
  readonly actor: string;
  readonly note?: string | null;
  readonly requestId?: string | null;
}

/** Approves and posts; returns the approval afterwards. Fails with a typed ApplicationFailure (the API error code). */
export const approveUpdate = defineUpdate<ApprovalRecord, [DecisionRequest]>('approve');
export const rejectUpdate = defineUpdate<ApprovalRecord, [DecisionRequest]>('reject');
/** Completes once the request is recorded; sent with the workflow's start (update-with-start). */
export const recordedUpdate = defineUpdate<ApprovalRecord>('recorded');
/** The approval as the workflow knows it; null before the request is recorded. */
export const approvalQuery = defineQuery<ApprovalRecord | null>('approval');

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  // Recording and expiring must happen: retried until the database answers.
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
/** A decision has an admin waiting on it: a few tries, then the Update fails and the approval stays pending. */
const decisions = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '2 seconds',
    maximumAttempts: 4,
  },
});

function refusal(
  type: 'approval_self_decision' | 'approval_not_pending',
  message: string,
  details: Record<string, unknown>,
): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
}

/** Turns an activity's failure into the Update's failure: business refusals keep their code. */
function decisionFailure(error: unknown): ApplicationFailure {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.nonRetryable && cause.type) {
    return ApplicationFailure.create({
      type: cause.type,
      message: cause.message,
      nonRetryable: true,
      details: cause.details ?? [],
    });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return ApplicationFailure.create({
    type: 'service_unavailable',
    message: `The decision could not be recorded: ${message}`,
    nonRetryable: true,
  });
}

export async function creditApproval(input: CreditApprovalInput): Promise<ApprovalRecord> {
  const { workflowId } = workflowInfo();
  let record: ApprovalRecord | null = null;
  let busy = false;

  const settle = (next: ApprovalRecord): ApprovalRecord => {
    if (record?.status !== next.status) upsertSearchAttributes([{ key: ApprovalStatusKey, value: next.status }]);
    record = next;
    return next;
  };
  /** Decisions and the expiry run one at a time, each after the request is recorded. */
  const exclusively = async <T>(step: (current: ApprovalRecord) => Promise<T>): Promise<T> => {
    await condition(() => !busy && record !== null);
    busy = true;
    try {
      return await step(record as unknown as ApprovalRecord);
    } finally {
      busy = false;
    }
  };
  const notPending = (current: ApprovalRecord): ApplicationFailure =>
    refusal(
      'approval_not_pending',
      `Approval ${input.approvalId} is ${current.status}: only a pending approval can be decided.`,
      { approvalId: input.approvalId, approvalStatus: current.status },
    );
  const validateDecision = (request: DecisionRequest): void => {
    if (typeof request?.actor !== 'string' || request.actor === '')
      throw new Error('a decision needs the deciding admin as "actor"');
    if (request.actor === input.requestedBy) {
      throw refusal(
        'approval_self_decision',
        `${request.actor} requested this change and may not decide it; another admin must.`,
        { approvalId: input.approvalId, requestedBy: input.requestedBy },
      );
    }
    if (record !== null && record.status !== 'pending') throw notPending(record);
  };

  setHandler(approvalQuery, () => record);
  setHandler(recordedUpdate, async () => {
    await condition(() => record !== null);
    return record as unknown as ApprovalRecord;
  });
  /** Runs a decision activity; the Update fails unless this decision is the one recorded. */
  const decide =
    (outcome: 'approved' | 'rejected', step: (input: ApprovalDecisionInput) => Promise<ApprovalRecord>) =>
    (request: DecisionRequest): Promise<ApprovalRecord> =>
      exclusively(async (current) => {
        if (current.status !== 'pending') throw notPending(current);
        let after: ApprovalRecord;
        try {
          after = await step({
            approvalId: input.approvalId,
            decidedBy: request.actor,
            note: request.note ?? null,
            requestId: request.requestId ?? null,
          });
        } catch (error) {
          throw decisionFailure(error);
        }
        settle(after);
        if (after.status !== outcome || after.decidedBy !== request.actor) throw notPending(after);
        return after;
      });
  setHandler(approveUpdate, decide('approved', decisions.approveCreditChange), { validator: validateDecision });
  setHandler(rejectUpdate, decide('rejected', decisions.rejectCreditChange), { validator: validateDecision });

  // Workflow time is deterministic: the deadline is fixed at the first task and recorded with the request.
  const expiresAt = new Date(Date.now() + input.ttlMs).toISOString();
  const { ttlMs: _ttlMs, ...request } = input;
  settle(await steps.recordApprovalRequest({ ...request, workflowId, expiresAt }));

  const current = (): ApprovalRecord => record as unknown as ApprovalRecord;
  const remainingMs = Date.parse(current().expiresAt) - Date.now();
  const decided = await condition(() => current().status !== 'pending', Math.max(1, remainingMs));
  if (!decided) {
    await exclusively(async (now) => {
      if (now.status === 'pending') settle(await steps.expireCreditApproval({ approvalId: input.approvalId }));
    });
  }
  // Decisions that queued behind the last one answer (approval_not_pending) before the workflow ends.
  await condition(allHandlersFinished);
  return current();
}
