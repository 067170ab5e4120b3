/**
 * Reconciliation runs (admin). `POST` starts `reconcileLedger` now (workflow
 * `reconcile-<runId>`) and waits for it up to PURCHASE_SYNC_TIMEOUT_MS: 201 with the finished
 * run, or 202 with its id while it is still going (GET it later). Scheduled runs come from the
 * `reconcile-ledger` Temporal Schedule and land in the same list.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  ReconciliationRunIdParam, ReconciliationRunListQuery,
  type ReconciliationRun, type ReconciliationRunList, type ReconciliationRunPending, type ReconciliationRunSummary,
} from '../../contracts/index.js';
import { newId } from '../../db/ids.js';
import { getRun, listRuns } from '../../db/reconciliation-repository.js';
import type { ReconciliationRunRow } from '../../db/schema.js';
import { DomainError } from '../../domain/errors.js';
import { reconcileLedger } from '../../../workflows/index.js';
import { callerOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseParams, parseQuery } from '../validate.js';

const RunCursor = z.object({ t: z.string(), id: z.string() });

export function toRunSummary(row: ReconciliationRunRow): ReconciliationRunSummary {
  return {
    id: row.id, trigger: row.trigger, status: row.status, actor: row.actor, workflowId: row.workflowId,
    startedAt: row.startedAt.toISOString(), finishedAt: row.finishedAt?.toISOString() ?? null,
    counts: row.counts, findingCount: row.findingCount, error: row.error,
  };
}

export function toRun(row: ReconciliationRunRow): ReconciliationRun {
  return { ...toRunSummary(row), findings: row.findings.map((f) => ({ ...f })) };
}

export function reconciliationRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/reconciliation/runs', requireRole('admin'), async (req: Request, res: Response<ReconciliationRunList>) => {
    const query = parseQuery(req, ReconciliationRunListQuery);
    const cursor = decodeCursor(query.cursor, RunCursor);
    const page = await listRuns(db, cursor ? { startedAt: new Date(cursor.t), id: cursor.id } : null, query.limit);
    const last = page.rows[page.rows.length - 1];
    res.json({
      data: page.rows.map(toRunSummary),
      nextCursor: page.hasMore && last ? encodeCursor({ t: last.startedAt.toISOString(), id: last.id }) : null,
    });
  });

  router.get('/reconciliation/runs/:runId', requireRole('admin'), async (req: Request, res: Response<ReconciliationRun>) => {
    const { runId } = parseParams(req, ReconciliationRunIdParam);
    const run = await getRun(db, runId);
    if (!run) throw new DomainError('reconciliation_run_not_found', `No reconciliation run "${runId}".`, { runId });
    res.json(toRun(run));
  });

  router.post('/reconciliation/runs', requireRole('admin'), async (req: Request, res: Response<ReconciliationRun | ReconciliationRunPending>) => {
    const caller = callerOf(req);
    const runId = newId('run');
    const handle = await deps.temporal.workflow.start(reconcileLedger, {
      workflowId: `reconcile-${runId}`,
      taskQueue: deps.config.temporal.taskQueue,
      args: [{ trigger: 'manual', runId, actor: caller.name, requestId: requestIdOf(req) }],
    });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deps.config.purchaseSyncTimeoutMs);
    let finished = false;
    try {
      await deps.temporal.withAbortSignal(controller.signal, () => handle.result());
      finished = true;
    } catch (error) {
      // Still running at the deadline → 202. A failed run is recorded on its row → 201 with it.
      if (!controller.signal.aborted) deps.logger.warn({ err: error, runId, requestId: requestIdOf(req) }, 'reconciliation run failed');
      finished = !controller.signal.aborted;
    } finally {
      clearTimeout(timer);
    }
    const run = finished ? await getRun(db, runId) : null;
    res.set('Location', `/v1/reconciliation/runs/${runId}`);
    if (!run || run.status === 'running') {
      res.status(202).set('Retry-After', '2').json({ id: runId, status: 'running' });
      return;
    }
    res.status(201).json(toRun(run));
  });

  return router;
}
