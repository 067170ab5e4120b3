/**
 * Activities of the `reconcileLedger` workflow. One batch of accounts per activity: read one
 * snapshot of the batch (set-based SQL, src/db/reconciliation-repository.ts), look the batch's
 * completed purchases up on the platform, settle orphaned holds, and record counts and
 * findings on the run row, guarded by the run's cursor so a retried batch records once.
 *
 * The only money this ever moves: a pending hold older than RECONCILE_HOLD_AGE_MS whose
 * purchase workflow Temporal reports closed (or unknown) is released with resolution
 * `reconciliation_orphan`, and its attempt is marked failed.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import { newId } from '../src/db/ids.js';
import { failAttempt, releaseHold } from '../src/db/purchase-repository.js';
import {
  beginRun, emptyCounts, finishRun, getRun, ledgerFindings, readBatch, recordBatch,
  type PurchaseCheckRow, type StaleHoldRow,
} from '../src/db/reconciliation-repository.js';
import type { Finding, ReconciliationCounts, ReconciliationRunRow, ReconciliationTrigger } from '../src/db/schema.js';
import { problemBody } from '../src/domain/errors.js';
import { purchaseWorkflowId } from '../src/domain/purchase.js';
import { PlatformError } from '../src/platform/client.js';
import type { ActivityDeps } from './deps.js';

export interface BeginReconciliationInput {
  /** Set by a manual start (the API answers with it); generated for scheduled runs. */
  readonly runId: string | null;
  readonly trigger: ReconciliationTrigger;
  readonly actor: string | null;
  readonly workflowId: string;
  /** Temporal's first execution run id: stable across continue-as-new. */
  readonly executionId: string;
}

export interface ReconcileBatchResult {
  /** True when no accounts are left after the run's cursor. */
  readonly done: boolean;
  readonly accounts: number;
  readonly findings: number;
}

export interface ReconciliationSummary {
  readonly runId: string;
  readonly status: ReconciliationRunRow['status'];
  readonly counts: ReconciliationCounts;
  readonly findingCount: number;
}

export interface ReconcileActivities {
  beginReconciliation(input: BeginReconciliationInput): Promise<{ runId: string }>;
  reconcileBatch(input: { runId: string; requestId: string | null }): Promise<ReconcileBatchResult>;
  finishReconciliation(input: { runId: string; status: 'completed' | 'failed'; error: string | null }): Promise<ReconciliationSummary>;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await fn(item);
    }
  });
  await Promise.all(lanes);
}

function summaryOf(run: ReconciliationRunRow): ReconciliationSummary {
  return { runId: run.id, status: run.status, counts: run.counts, findingCount: run.findingCount };
}

export function createReconcileActivities(deps: ActivityDeps): ReconcileActivities {
  const { db } = deps.database;
  const settings = deps.config.reconcile;

  /** Completed purchases must have their shipment on the platform (looked up by idempotency key). */
  async function shipmentFindings(purchases: readonly PurchaseCheckRow[], requestId: string | null, findings: Finding[]): Promise<number> {
    const platform = deps.platform(requestId ?? undefined);
    let checked = 0;
    await eachLimited(purchases, settings.platformConcurrency, async (purchase) => {
      const entity = `purchase:${purchase.id}`;
      try {
        const shipment = await platform.findShipmentByIdempotencyKey(purchase.id);
        checked += 1;
        if (!shipment) {
          findings.push({ severity: 'error', kind: 'shipment_missing', entity, expected: purchase.shipmentId, actual: null,
            detail: `completed purchase has no shipment on the platform under idempotency key ${purchase.id}` });
        } else if (shipment.id !== purchase.shipmentId) {
          findings.push({ severity: 'error', kind: 'shipment_mismatch', entity, expected: purchase.shipmentId, actual: shipment.id,
            detail: 'the platform\'s shipment for this purchase is not the one the purchase recorded' });
        } else if (shipment.status === 'cancelled' && purchase.refundedAmount < purchase.total) {
          findings.push({ severity: 'warning', kind: 'shipment_cancelled', entity, expected: 'refunded', actual: purchase.refundedAmount,
            detail: `shipment ${shipment.id} is cancelled but the purchase is not fully refunded` });
        }
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        findings.push({ severity: 'warning', kind: 'shipment_check_failed', entity, expected: null, actual: null,
          detail: `the platform did not answer the shipment look-up: ${error.message}` });
      }
      if (checked % 50 === 0) Context.current().heartbeat();
    });
    return checked;
  }

  /**
   * Pending holds past the age threshold: ask Temporal about the purchase workflow. Closed or
   * unknown → nothing can capture the hold any more: release it. Running → a saga that waits
   * (reported as info: a stuck purchase for the runbook).
   */
  async function settleStaleHolds(holds: readonly StaleHoldRow[], findings: Finding[]): Promise<number> {
    let released = 0;
    for (const hold of holds) {
      const entity = `hold:${hold.id}`;
      if (hold.hasPurchase) {
        findings.push({ severity: 'error', kind: 'hold_pending_after_commit', entity, expected: 'captured', actual: 'pending',
          detail: `purchase ${hold.purchaseId} is committed but its hold of ${hold.amount} is still pending; not released` });
        continue;
      }
      if (!deps.temporal) {
        findings.push({ severity: 'warning', kind: 'hold_check_skipped', entity, expected: null, actual: 'pending',
          detail: 'no Temporal client was given to the worker: the workflow of this old hold could not be checked' });
        continue;
      }
      const workflowId = hold.workflowId ?? purchaseWorkflowId(hold.purchaseId);
      let state: string;
      try {
        state = (await deps.temporal.workflow.getHandle(workflowId).describe()).status.name;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) {
          findings.push({ severity: 'warning', kind: 'hold_check_failed', entity, expected: null, actual: 'pending',
            detail: `Temporal could not describe ${workflowId}: ${error instanceof Error ? error.message : String(error)}` });
          continue;
        }
        state = 'NOT_FOUND';
      }
      if (state === 'RUNNING') {
        findings.push({ severity: 'info', kind: 'hold_awaiting_running_workflow', entity, expected: null, actual: 'pending',
          detail: `hold of ${hold.amount} ${hold.currency} since ${hold.createdAt}; workflow ${workflowId} is still running (see the runbook on stuck purchases)` });
        continue;
      }
      if (!(await releaseHold(db, hold.purchaseId, 'reconciliation_orphan'))) continue;
      released += 1;
      const detail = `workflow ${workflowId} is ${state}; its hold of ${hold.amount} ${hold.currency} (since ${hold.createdAt}) was released`;
      await failAttempt(db, hold.purchaseId, { ...problemBody('purchase_cancelled', `The purchase workflow ended without an outcome (${state}); reconciliation released the reserved credit.`, { workflowStatus: state }) });
      findings.push({ severity: 'warning', kind: 'orphaned_hold_released', entity, expected: 'released', actual: 'pending', detail });
      Context.current().log.warn('released an orphaned credit hold', { holdId: hold.id, purchaseId: hold.purchaseId, customerId: hold.customerId, amount: hold.amount, workflowStatus: state });
    }
    return released;
  }

  return {
    async beginReconciliation(input) {
      const run = await beginRun(db, {
        id: input.runId ?? newId('run'), trigger: input.trigger, actor: input.actor, workflowId: input.workflowId, executionId: input.executionId,
      });
      Context.current().log.info('reconciliation run started', { runId: run.id, trigger: run.trigger });
      return { runId: run.id };
    },

    async reconcileBatch({ runId, requestId }) {
      const run = await getRun(db, runId);
      if (!run) throw new Error(`no reconciliation run ${runId}`);
      if (run.status !== 'running') return { done: true, accounts: 0, findings: 0 };
      const snapshot = await readBatch(db, run.cursor, settings.batchSize, settings.holdAgeMs);
      const last = snapshot.accounts[snapshot.accounts.length - 1];
      if (!last) return { done: true, accounts: 0, findings: 0 };
      Context.current().heartbeat();

      const findings = ledgerFindings(snapshot);
      const holdsReleased = await settleStaleHolds(snapshot.staleHolds, findings);
      const since = settings.shipmentLookbackMs > 0 ? Date.now() - settings.shipmentLookbackMs : null;
      const toShip = since === null ? snapshot.purchases : snapshot.purchases.filter((p) => p.createdAt.getTime() >= since);
      const shipmentsChecked = await shipmentFindings(toShip, requestId, findings);

      const counts = emptyCounts();
      counts.accounts = snapshot.accounts.length;
      for (const a of snapshot.accounts) {
        counts.entries += a.entryCount;
        counts.pendingHolds += a.holdCount;
      }
      counts.purchases = snapshot.purchases.length;
      for (const p of snapshot.purchases) counts.refunds += p.refundCount;
      counts.shipmentsChecked = shipmentsChecked;
      counts.holdsReleased = holdsReleased;
      for (const f of findings) {
        if (f.severity === 'error') counts.errors += 1;
        else if (f.severity === 'warning') counts.warnings += 1;
        else counts.infos += 1;
      }
      const recorded = await recordBatch(db, runId, { after: run.cursor, next: last.customerId, counts, findings });
      if (recorded) {
        for (const f of findings) deps.metrics?.reconciliationFindings.inc({ severity: f.severity, kind: f.kind });
        if (holdsReleased > 0) deps.metrics?.reconciliationHoldsReleased.inc(holdsReleased);
        if (findings.length > 0) {
          Context.current().log.warn('reconciliation findings', { runId, batchAfter: run.cursor, batchLast: last.customerId, errors: counts.errors, warnings: counts.warnings, infos: counts.infos });
        }
      }
      return { done: false, accounts: snapshot.accounts.length, findings: findings.length };
    },

    async finishReconciliation({ runId, status, error }) {
      const run = await finishRun(db, runId, status, error);
      Context.current().log.info('reconciliation run finished', { runId, status: run.status, findingCount: run.findingCount, ...run.counts });
      return summaryOf(run);
    },
  };
}
