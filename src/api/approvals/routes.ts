/**
 * Approvals of large credit changes (the checker side of maker–checker): support lists and
 * reads them, admins approve or reject them. A decision is an Update of the approval's
 * `creditApproval` workflow, which validates it (not the requester, still pending) and posts
 * in one database transaction; the row lock there decides races between admins.
 */
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
import { approvalPage, approveApproval, readApproval, rejectApproval } from '../../app/approvals.js';
import { actorOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { parseBody, parseOptionalBody, parseParams, parseQuery } from '../validate.js';

const ApprovalCursor = z.object({ t: z.string(), id: z.string() });

export function approvalsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/approvals', requireRole('support'), async (req: Request, res: Response<ApprovalList>) => {
    const query = parseQuery(req, ApprovalListQuery);
    const cursor = decodeCursor(query.cursor, ApprovalCursor);
    const page = await approvalPage(deps, {
      status: query.status,
      customerId: query.customerId,
      before: cursor ? { createdAt: new Date(cursor.t), id: cursor.id } : null,
      limit: query.limit,
    });
    const next = page.next ? encodeCursor({ t: page.next.createdAt.toISOString(), id: page.next.id }) : null;
    res.json({ data: page.data, nextCursor: next });
  });

  router.get('/approvals/:approvalId', requireRole('support'), async (req: Request, res: Response<Approval>) => {
    const { approvalId } = parseParams(req, ApprovalIdParam);
    res.json(await readApproval(deps, approvalId));
  });

  router.post(
    '/approvals/:approvalId/approve',
    requireRole('admin'),
    async (req: Request, res: Response<ApprovalDecision>) => {
      const { approvalId } = parseParams(req, ApprovalIdParam);
      const body = parseOptionalBody(req, ApproveRequest);
      res.status(201).json(await approveApproval(deps, approvalId, actorOf(req), body.note ?? null));
    },
  );

  router.post('/approvals/:approvalId/reject', requireRole('admin'), async (req: Request, res: Response<Approval>) => {
    const { approvalId } = parseParams(req, ApprovalIdParam);
    const body = parseBody(req, RejectRequest);
    res.json(await rejectApproval(deps, approvalId, actorOf(req), body.note));
  });

  return router;
}
