/**
 * Reconciliation runs on demand: `reconcileLedger` is started as `reconcile-<runId>` and
 * awaited up to PURCHASE_SYNC_TIMEOUT_MS. The run's row is the answer: 201 once it finished
 * (also when it failed: the failure is recorded on the row), 202 while it is still going.
 */
import type { ReconciliationRun, ReconciliationRunPending, ReconciliationRunSummary } from '../contracts/index.js';
import { newId } from '../domain/ids.js';
import { getRun, listRuns } from '../db/reconciliation-repository.js';
import { DomainError } from '../domain/errors.js';
import type { ReconciliationRunRow } from '../db/schema.js';
import { reconcileLedger } from '../../workflows/index.js';
import type { Actor, AppDeps } from './deps.js';
import type { Answer } from './idempotent.js';
import { runWorkflow, type WorkflowRun } from './workflow-run.js';

function toRunSummary(row: ReconciliationRunRow): ReconciliationRunSummary {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    actor: row.actor,
    workflowId: row.workflowId,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    counts: row.counts,
    findingCount: row.findingCount,
    error: row.error,
  };
}

function toRun(row: ReconciliationRunRow): ReconciliationRun {
  return { ...toRunSummary(row), findings: row.findings.map((f) => ({ ...f })) };
}

export async function startReconciliation(deps: AppDeps, actor: Actor): Promise<Answer> {
  const runId = newId('run');
  const location = `/v1/reconciliation/runs/${runId}`;
  let run: WorkflowRun<unknown>;
  try {
    run = await runWorkflow(
      deps.temporal,
      reconcileLedger,
      {
        workflowId: `reconcile-${runId}`,
        taskQueue: deps.config.temporal.taskQueue,
        args: [{ trigger: 'manual', runId, actor: actor.name, requestId: actor.requestId }],
      },
      deps.config.purchaseSyncTimeoutMs,
    );
  } catch (error) {
    // A failed run is recorded on its row: answered 201 with it, like a finished one.
    deps.logger.warn({ err: error, runId, requestId: actor.requestId }, 'reconciliation run failed');
    run = { status: 'ended', result: null };
  }
  const row = run.status === 'ended' ? await getRun(deps.database.db, runId) : null;
  if (!row || row.status === 'running') {
    const pending: ReconciliationRunPending = { id: runId, status: 'running' };
    return { status: 202, body: pending, location, retryAfter: 2 };
  }
  return { status: 201, body: toRun(row), location };
}

export interface RunPage {
  readonly data: ReconciliationRunSummary[];
  readonly hasMore: boolean;
}

export async function runsPage(
  deps: AppDeps,
  before: { startedAt: Date; id: string } | null,
  limit: number,
): Promise<RunPage> {
  const page = await listRuns(deps.database.db, before, limit);
  return { data: page.rows.map(toRunSummary), hasMore: page.hasMore };
}

export async function run(deps: AppDeps, runId: string): Promise<ReconciliationRun> {
  const row = await getRun(deps.database.db, runId);
  if (!row) throw new DomainError('reconciliation_run_not_found', `No reconciliation run "${runId}".`, { runId });
  return toRun(row);
}
