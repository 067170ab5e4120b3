/**
 * `reconcileLedger`: checks the books in batches of accounts and records a run with its
 * findings (`reconciliation_runs`). Run by the `reconcile-ledger` Temporal Schedule
 * (src/temporal/schedules.ts) and on demand by `POST /v1/reconciliation/runs`.
 *
 * The workflow only drives the loop: the run row holds the keyset cursor, counts and findings,
 * so the history stays small and a retried batch records once. Long runs continue as new
 * (same run row, found again by the first execution's run id).
 */
import { CancellationScope, continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ReconciliationSummary } from '../activities/reconcile.js';
import { describe } from './failures.js';

export interface ReconcileInput {
  readonly trigger: 'schedule' | 'manual';
  /** Given by a manual start so the caller knows the run's id up front. */
  readonly runId?: string | null;
  /** Token name of whoever started it by hand. */
  readonly actor?: string | null;
  readonly requestId?: string | null;
  /** Batches before continuing as new (default 500); small values exercise the hand-over in tests. */
  readonly batchesPerExecution?: number;
}

/** Batches per execution before continuing as new (each batch adds a handful of events). */
const BATCHES_PER_EXECUTION = 500;

const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

const checking = proxyActivities<Activities>({
  // A batch reads a snapshot of up to RECONCILE_BATCH_SIZE accounts, looks their purchases up
  // on the platform and cancels live shipments of their failed attempts (idempotent, so a
  // retried batch is harmless); it heartbeats while doing so.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function reconcileLedger(input: ReconcileInput = { trigger: 'schedule' }): Promise<ReconciliationSummary> {
  const info = workflowInfo();
  const { runId } = await bookkeeping.beginReconciliation({
    runId: input.runId ?? null,
    trigger: input.trigger,
    actor: input.actor ?? null,
    workflowId: info.workflowId,
    executionId: info.firstExecutionRunId,
  });

  let more = false;
  try {
    for (let batches = 0; ; batches += 1) {
      if (batches >= (input.batchesPerExecution ?? BATCHES_PER_EXECUTION) || workflowInfo().continueAsNewSuggested) {
        more = true;
        break;
      }
      const batch = await checking.reconcileBatch({ runId, requestId: input.requestId ?? null });
      if (batch.done) break;
    }
  } catch (error) {
    await CancellationScope.nonCancellable(() =>
      bookkeeping.finishReconciliation({ runId, status: 'failed', error: describe(error) }),
    );
    throw error;
  }
  if (more) return continueAsNew<typeof reconcileLedger>({ ...input, runId });
  return bookkeeping.finishReconciliation({ runId, status: 'completed', error: null });
}
