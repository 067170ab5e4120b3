/**
 * Reconciliation runs (admin). `POST` starts `reconcileLedger` now (workflow
 * `reconcile-<runId>`) and waits for it up to PURCHASE_SYNC_TIMEOUT_MS: 201 with the finished
 * run, or 202 with its id while it is still going (GET it later). Scheduled runs come from the
 * `reconcile-ledger` Temporal Schedule and land in the same list.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  ReconciliationRunIdParam,
  ReconciliationRunListQuery,
  type ReconciliationRun,
  type ReconciliationRunList,
  type ReconciliationRunPending,
} from '../../contracts/index.js';
import { run, runsPage, startReconciliation } from '../../app/reconciliation.js';
import { actorOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { sendAnswer } from '../respond.js';
import { parseParams, parseQuery } from '../validate.js';

const RunCursor = z.object({ t: z.string(), id: z.string() });

export function reconciliationRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get(
    '/reconciliation/runs',
    requireRole('admin'),
    async (req: Request, res: Response<ReconciliationRunList>) => {
      const query = parseQuery(req, ReconciliationRunListQuery);
      const cursor = decodeCursor(query.cursor, RunCursor);
      const page = await runsPage(deps, cursor ? { startedAt: new Date(cursor.t), id: cursor.id } : null, query.limit);
      const last = page.data[page.data.length - 1];
      res.json({
        data: page.data,
        nextCursor: page.hasMore && last ? encodeCursor({ t: last.startedAt, id: last.id }) : null,
      });
    },
  );

  router.get(
    '/reconciliation/runs/:runId',
    requireRole('admin'),
    async (req: Request, res: Response<ReconciliationRun>) => {
      const { runId } = parseParams(req, ReconciliationRunIdParam);
      res.json(await run(deps, runId));
    },
  );

  router.post(
    '/reconciliation/runs',
    requireRole('admin'),
    async (req: Request, res: Response<ReconciliationRun | ReconciliationRunPending>) => {
      sendAnswer(res, await startReconciliation(deps, actorOf(req)));
    },
  );

  return router;
}
