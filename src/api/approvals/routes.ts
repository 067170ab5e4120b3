/**
 * Approvals of large credit changes (the checker side of maker–checker): support lists and
 * reads them, admins approve or reject them. A decision is an Update of the approval's
 * `creditApproval` workflow, which validates it (not the requester, still pending) and posts
 * in one database transaction; the row lock there decides races between admins.
 */
import { WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  ApprovalIdParam,
  ApprovalListQuery,
  ApproveRequest,
  RejectRequest,
  type Approval,
  type ApprovalDecision,
  type ApprovalList,
} from '../../contracts/index.js';
import { getApproval, listApprovals } from '../../db/approval-repository.js';
import { getAccount } from '../../db/credit-repository.js';
import { ledgerEntries, type ApprovalRow } from '../../db/schema.js';
import { DomainError, isErrorCode, type ProblemExtensions } from '../../domain/errors.js';
import { approveUpdate, rejectUpdate } from '../../../workflows/index.js';
import type { DecisionRequest } from '../../../workflows/approval.js';
import { eq } from 'drizzle-orm';
import { callerOf, requireRole, type Caller } from '../auth.js';
import { toCreditBalance, toLedgerEntry } from '../../app/credit-views.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseBody, parseOptionalBody, parseParams, parseQuery } from '../validate.js';
import { toApproval } from './mappers.js';
import { storeApprovalOutcome } from './request.js';

const ApprovalCursor = z.object({ t: z.string(), id: z.string() });

function notFound(approvalId: string): DomainError {
  return new DomainError('approval_not_found', `No approval "${approvalId}".`, { approvalId });
}

function notPending(row: ApprovalRow, status = row.status): DomainError {
  return new DomainError(
    'approval_not_pending',
    `Approval ${row.id} is ${status}: only a pending approval can be decided.`,
    { approvalId: row.id, approvalStatus: status },
  );
}

/** The checks the workflow's validator makes, answered from the database without a round trip when they already fail. */
function assertDecidable(row: ApprovalRow, caller: Caller): void {
  if (row.requestedBy === caller.name) {
    throw new DomainError(
      'approval_self_decision',
      `${caller.name} requested this change and may not decide it; another admin must.`,
      { approvalId: row.id, requestedBy: row.requestedBy },
    );
  }
  if (row.status !== 'pending') throw notPending(row);
  if (row.expiresAt.getTime() <= Date.now()) throw notPending(row, 'expired');
}

export function approvalsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;

  async function load(approvalId: string): Promise<ApprovalRow> {
    const row = await getApproval(db, approvalId);
    if (!row) throw notFound(approvalId);
    return row;
  }

  /** Runs a decision Update; its typed failure becomes the problem, a closed workflow is answered from the database. */
  async function decide(row: ApprovalRow, update: typeof approveUpdate, request: DecisionRequest): Promise<void> {
    try {
      await deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(update, { args: [request] });
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : null;
      if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
        throw new DomainError(cause.type, cause.message, (cause.details?.[0] ?? {}) as ProblemExtensions);
      }
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        throw new DomainError(
          'service_unavailable',
          'The approval workflow did not answer in time; read the approval and retry if it is still pending.',
        );
      }
      // The workflow has ended (decided or expired) since the row was read.
      const now = await load(row.id);
      if (now.status !== 'pending' || error instanceof WorkflowNotFoundError) throw notPending(now);
      throw error;
    }
  }

  router.get('/approvals', requireRole('support'), async (req: Request, res: Response<ApprovalList>) => {
    const query = parseQuery(req, ApprovalListQuery);
    const cursor = decodeCursor(query.cursor, ApprovalCursor);
    const page = await listApprovals(db, {
      status: query.status,
      customerId: query.customerId,
      before: cursor ? { createdAt: new Date(cursor.t), id: cursor.id } : null,
      limit: query.limit,
    });
    const last = page.rows[page.rows.length - 1];
    res.json({
      data: page.rows.map(toApproval),
      nextCursor: page.hasMore && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) : null,
    });
  });

  router.get('/approvals/:approvalId', requireRole('support'), async (req: Request, res: Response<Approval>) => {
    const { approvalId } = parseParams(req, ApprovalIdParam);
    res.json(toApproval(await load(approvalId)));
  });

  router.post(
    '/approvals/:approvalId/approve',
    requireRole('admin'),
    async (req: Request, res: Response<ApprovalDecision>) => {
      const { approvalId } = parseParams(req, ApprovalIdParam);
      const body = parseOptionalBody(req, ApproveRequest);
      const caller = callerOf(req);
      const row = await load(approvalId);
      assertDecidable(row, caller);
      await decide(row, approveUpdate, { actor: caller.name, note: body.note ?? null, requestId: requestIdOf(req) });
      const approved = await load(approvalId);
      const entry = approved.entryId
        ? (await db.select().from(ledgerEntries).where(eq(ledgerEntries.id, approved.entryId)).limit(1))[0]
        : undefined;
      if (approved.status !== 'approved' || !entry)
        throw new Error(`approval ${approvalId}: the workflow approved it, the database shows ${approved.status}`);
      await storeApprovalOutcome(deps, approved);
      res.status(201).json({
        approval: toApproval(approved),
        entry: toLedgerEntry(entry),
        credit: toCreditBalance(
          approved.customerId,
          await getAccount(db, approved.customerId),
          deps.config.defaultCurrency,
        ),
      });
    },
  );

  router.post('/approvals/:approvalId/reject', requireRole('admin'), async (req: Request, res: Response<Approval>) => {
    const { approvalId } = parseParams(req, ApprovalIdParam);
    const body = parseBody(req, RejectRequest);
    const caller = callerOf(req);
    const row = await load(approvalId);
    assertDecidable(row, caller);
    await decide(row, rejectUpdate, { actor: caller.name, note: body.note, requestId: requestIdOf(req) });
    const rejected = await load(approvalId);
    await storeApprovalOutcome(deps, rejected);
    res.json(toApproval(rejected));
  });

  return router;
}
