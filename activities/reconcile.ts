/**
 * Activities of the `reconcileLedger` workflow. One batch of accounts per activity: read one
 * snapshot of the batch (set-based SQL, src/db/reconciliation-repository.ts), look the batch's
 * completed purchases up on the platform, settle orphaned holds, and record counts and
 * findings on the run row, guarded by the run's cursor so a retried batch records once.
 *
 * The only money this ever moves: a pending hold older than RECONCILE_HOLD_AGE_MS whose
 * purchase workflow Temporal reports closed (or unknown) is released with resolution
 * `reconciliation_orphan`, and its attempt is marked failed.
 *
 * The only thing it changes on the platform: a live shipment of a failed purchase attempt
 * (created within RECONCILE_FAILED_ATTEMPT_LOOKBACK_MS) is cancelled, after the books are read
 * once more to prove that no purchase, entry or live hold belongs to it (RELIABILITY.md,
 * finding 2: a CreateShipment held past our timeout lands after the saga compensated).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import { recordCheckpoints, verifyChains } from '../src/db/audit-repository.js';
import { newId } from '../src/domain/ids.js';
import { recordAttemptFailure, releaseCredit } from '../src/db/purchase-repository.js';
import {
  attemptBooks,
  beginRun,
  emptyCounts,
  finishRun,
  getRun,
  hasAccountsAfter,
  MAX_FAILED_ATTEMPTS_PER_BATCH,
  readBatch,
  readFailedAttempts,
  recordBatch,
  type FailedAttemptRow,
} from '../src/db/reconciliation-repository.js';
import type { ReconciliationCounts, ReconciliationRunRow, ReconciliationTrigger } from '../src/db/schema.js';
import {
  ledgerFindings,
  orphanCancelBlocker,
  type Finding,
  type PurchaseCheckRow,
  type StaleHoldRow,
} from '../src/domain/reconciliation.js';
import { problemBody } from '../src/domain/errors.js';
import type { CheckpointFields } from '../src/domain/ledger-checkpoint.js';
import { purchaseWorkflowId } from '../src/domain/purchase.js';
import { PlatformError, type PlatformClient } from '../src/platform/client.js';
import type { PlatformShipmentRecord } from '../src/platform/types.js';
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
  finishReconciliation(input: {
    runId: string;
    status: 'completed' | 'failed';
    error: string | null;
  }): Promise<ReconciliationSummary>;
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

/** Cancel calls per orphan shipment while the platform answers 5xx or not at all; then the next run tries again. */
const CANCEL_ATTEMPTS = 3;
const CANCEL_RETRY_DELAY_MS = 500;

/** Cancels, retrying transient failures a few times (the cancel is idempotent on the platform). */
async function cancelWithRetries(platform: PlatformClient, shipmentId: string): Promise<PlatformShipmentRecord> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await platform.cancelShipment(shipmentId);
    } catch (error) {
      if (!(error instanceof PlatformError) || error.kind !== 'unavailable' || attempt >= CANCEL_ATTEMPTS) throw error;
      await sleep(CANCEL_RETRY_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}

/**
 * Pure: whether a shipment found cancelled was cancelled during this batch activity (by an
 * earlier attempt of it that died before recording, or concurrently): then it is still this
 * batch's finding. One cancelled before the batch was scheduled is an earlier run's, or an
 * operator's: nothing new.
 */
export function cancelledDuringBatch(
  shipment: Pick<PlatformShipmentRecord, 'status' | 'cancelledAt'>,
  batchScheduledMs: number,
): boolean {
  if (shipment.status !== 'cancelled' || !shipment.cancelledAt) return false;
  const at = Date.parse(shipment.cancelledAt);
  return Number.isFinite(at) && at >= batchScheduledMs;
}

function summaryOf(run: ReconciliationRunRow): ReconciliationSummary {
  return { runId: run.id, status: run.status, counts: run.counts, findingCount: run.findingCount };
}

export function createReconcileActivities(deps: ActivityDeps): ReconcileActivities {
  const { db } = deps.database;
  const settings = deps.config.reconcile;

  /** Completed purchases must have their shipment on the platform (looked up by idempotency key). */
  async function shipmentFindings(
    purchases: readonly PurchaseCheckRow[],
    requestId: string | null,
    findings: Finding[],
  ): Promise<number> {
    const platform = deps.platform(requestId ?? undefined);
    let checked = 0;
    await eachLimited(purchases, settings.platformConcurrency, async (purchase) => {
      const entity = `purchase:${purchase.id}`;
      try {
        const shipment = await platform.findShipmentByIdempotencyKey(purchase.id);
        checked += 1;
        if (!shipment) {
          findings.push({
            severity: 'error',
            kind: 'shipment_missing',
            entity,
            expected: purchase.shipmentId,
            actual: null,
            detail: `completed purchase has no shipment on the platform under idempotency key ${purchase.id}`,
          });
        } else if (shipment.id !== purchase.shipmentId) {
          findings.push({
            severity: 'error',
            kind: 'shipment_mismatch',
            entity,
            expected: purchase.shipmentId,
            actual: shipment.id,
            detail: "the platform's shipment for this purchase is not the one the purchase recorded",
          });
        } else if (shipment.status === 'cancelled' && purchase.refundedAmount < purchase.total) {
          findings.push({
            severity: 'warning',
            kind: 'shipment_cancelled',
            entity,
            expected: 'refunded',
            actual: purchase.refundedAmount,
            detail: `shipment ${shipment.id} is cancelled but the purchase is not fully refunded`,
          });
        }
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        findings.push({
          severity: 'warning',
          kind: 'shipment_check_failed',
          entity,
          expected: null,
          actual: null,
          detail: `the platform did not answer the shipment look-up: ${error.message}`,
        });
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
        findings.push({
          severity: 'error',
          kind: 'hold_pending_after_commit',
          entity,
          expected: 'captured',
          actual: 'pending',
          detail: `purchase ${hold.purchaseId} is committed but its hold of ${hold.amount} is still pending; not released`,
        });
        continue;
      }
      if (!deps.temporal) {
        findings.push({
          severity: 'warning',
          kind: 'hold_check_skipped',
          entity,
          expected: null,
          actual: 'pending',
          detail: 'no Temporal client was given to the worker: the workflow of this old hold could not be checked',
        });
        continue;
      }
      const workflowId = hold.workflowId ?? purchaseWorkflowId(hold.purchaseId);
      let state: string;
      try {
        state = (await deps.temporal.workflow.getHandle(workflowId).describe()).status.name;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) {
          findings.push({
            severity: 'warning',
            kind: 'hold_check_failed',
            entity,
            expected: null,
            actual: 'pending',
            detail: `Temporal could not describe ${workflowId}: ${error instanceof Error ? error.message : String(error)}`,
          });
          continue;
        }
        state = 'NOT_FOUND';
      }
      if (state === 'RUNNING') {
        findings.push({
          severity: 'info',
          kind: 'hold_awaiting_running_workflow',
          entity,
          expected: null,
          actual: 'pending',
          detail: `hold of ${hold.amount} ${hold.currency} since ${hold.createdAt}; workflow ${workflowId} is still running (see the runbook on stuck purchases)`,
        });
        continue;
      }
      if (!(await releaseCredit(db, hold.purchaseId, 'reconciliation_orphan'))) continue;
      released += 1;
      const detail = `workflow ${workflowId} is ${state}; its hold of ${hold.amount} ${hold.currency} (since ${hold.createdAt}) was released`;
      await recordAttemptFailure(db, hold.purchaseId, {
        ...problemBody(
          'purchase_cancelled',
          `The purchase workflow ended without an outcome (${state}); reconciliation released the reserved credit.`,
          { workflowStatus: state },
        ),
      });
      findings.push({
        severity: 'warning',
        kind: 'orphaned_hold_released',
        entity,
        expected: 'released',
        actual: 'pending',
        detail,
      });
      Context.current().log.warn('released an orphaned credit hold', {
        holdId: hold.id,
        purchaseId: hold.purchaseId,
        customerId: hold.customerId,
        amount: hold.amount,
        workflowStatus: state,
      });
    }
    return released;
  }

  /**
   * One failed attempt: look its shipment up by idempotency key (the purchase id); a live one
   * is cancelled once the books, read again now, show nothing that paid for it. Returns the
   * finding, or null when there is nothing to report (no shipment, or one cancelled earlier).
   */
  async function settleOrphanShipment(
    platform: PlatformClient,
    attempt: FailedAttemptRow,
    batchScheduledMs: number,
  ): Promise<Finding | null> {
    const entity = `purchase:${attempt.id}`;
    const failed = `failed purchase attempt ${attempt.id} of ${attempt.customerId} (${attempt.code ?? 'no code'}, hold ${attempt.holdResolution ?? 'none'}, created ${attempt.createdAt})`;
    let shipment: PlatformShipmentRecord | null;
    try {
      shipment = await platform.findShipmentByIdempotencyKey(attempt.id);
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      return {
        severity: 'warning',
        kind: 'orphan_shipment_check_failed',
        entity,
        expected: null,
        actual: null,
        detail: `${failed}: the platform did not answer the shipment look-up (${error.message}); the next run checks again`,
      };
    }
    if (!shipment) return null;
    const what = `shipment ${shipment.id} (${shipment.status}, ${shipment.customerId}, ${shipment.productId} x${shipment.quantity}, created ${shipment.createdAt})`;
    if (shipment.status === 'cancelled') {
      if (!cancelledDuringBatch(shipment, batchScheduledMs)) return null;
      return {
        severity: 'warning',
        kind: 'orphan_shipment_cancelled',
        entity,
        expected: null,
        actual: shipment.id,
        detail: `${what} of ${failed} was live; cancelled on the platform at ${shipment.cancelledAt ?? '?'}`,
      };
    }
    if (
      shipment.customerId !== attempt.customerId ||
      shipment.productId !== attempt.productId ||
      shipment.quantity !== attempt.quantity
    ) {
      return {
        severity: 'error',
        kind: 'orphan_shipment_not_cancelled',
        entity,
        expected: null,
        actual: shipment.id,
        detail: `${what} is under the idempotency key of ${failed} but is for another customer, product or quantity (${attempt.productId} x${attempt.quantity}); not cancelled`,
      };
    }
    // The snapshot is old news by now: ask the books again, just before acting.
    const blocker = orphanCancelBlocker(await attemptBooks(db, attempt.id));
    if (blocker) {
      return {
        severity: 'error',
        kind: 'orphan_shipment_not_cancelled',
        entity,
        expected: null,
        actual: shipment.id,
        detail: `${what} of ${failed}: not cancelled, because ${blocker}`,
      };
    }
    let cancelled: PlatformShipmentRecord;
    try {
      cancelled = await cancelWithRetries(platform, shipment.id);
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      if (error.kind === 'rejected') {
        Context.current().log.error('the platform refused to cancel the shipment of a failed purchase', {
          purchaseId: attempt.id,
          shipmentId: shipment.id,
          customerId: attempt.customerId,
          status: shipment.status,
          platformCode: error.platformCode,
        });
        return {
          severity: 'error',
          kind: 'orphan_shipment_cancel_refused',
          entity,
          expected: null,
          actual: shipment.id,
          detail: `${what} of ${failed}: the platform refused the cancel (${error.message}${error.platformCode ? `; code ${error.platformCode}` : ''}); goods nobody paid for may be on their way`,
        };
      }
      return {
        severity: 'warning',
        kind: 'orphan_shipment_check_failed',
        entity,
        expected: null,
        actual: shipment.id,
        detail: `${what} of ${failed}: the cancel did not go through (${error.message}); the next run tries again`,
      };
    }
    if (cancelled.status !== 'cancelled') {
      return {
        severity: 'error',
        kind: 'orphan_shipment_cancel_refused',
        entity,
        expected: null,
        actual: shipment.id,
        detail: `${what} of ${failed}: the platform answered the cancel with status ${cancelled.status}`,
      };
    }
    Context.current().log.warn('cancelled the shipment of a failed purchase', {
      purchaseId: attempt.id,
      shipmentId: shipment.id,
      customerId: attempt.customerId,
      productId: attempt.productId,
      failure: attempt.code,
    });
    return {
      severity: 'warning',
      kind: 'orphan_shipment_cancelled',
      entity,
      expected: null,
      actual: shipment.id,
      detail: `${what} of ${failed} was live; cancelled on the platform at ${cancelled.cancelledAt ?? '?'}`,
    };
  }

  /** Failed attempts of the batch that reached shipping: cancel what they left on the platform. */
  async function settleOrphanShipments(
    attempts: readonly FailedAttemptRow[],
    requestId: string | null,
    findings: Finding[],
  ): Promise<number> {
    const platform = deps.platform(requestId ?? undefined);
    // The first attempt's schedule time: a retried batch still reports what its predecessor cancelled.
    const batchScheduledMs = Context.current().info.scheduledTimestampMs;
    let cancelled = 0;
    await eachLimited(attempts, settings.platformConcurrency, async (attempt) => {
      const finding = await settleOrphanShipment(platform, attempt, batchScheduledMs);
      if (finding) findings.push(finding);
      if (finding?.kind === 'orphan_shipment_cancelled') cancelled += 1;
      Context.current().heartbeat();
    });
    return cancelled;
  }

  /**
   * The hash chains of the batch's accounts, recomputed (src/db/audit-repository.ts, the same
   * check as `POST /v1/ledger/verify`). Version gaps, balance_after breaks and heads are
   * reported by the batch's own checks; this adds what only the hashes and the signed
   * checkpoints show. Intact heads are signed as new checkpoints when a key is configured.
   */
  async function chainFindings(runId: string, after: string | null, through: string): Promise<Finding[]> {
    const key = deps.config.ledgerCheckpointKey;
    const heads: CheckpointFields[] = [];
    const result = await verifyChains(db, {
      after,
      through,
      checkpointKey: key,
      onIntactHead: (head) => heads.push(head),
      onProgress: () => Context.current().heartbeat(),
    });
    const findings: Finding[] = [];
    for (const f of result.findings) {
      if (f.kind !== 'hash_mismatch' && f.kind !== 'checkpoint_mismatch' && f.kind !== 'checkpoint_signature_invalid')
        continue;
      findings.push({
        severity: 'error',
        kind: f.kind === 'hash_mismatch' ? 'hash_chain_broken' : f.kind,
        entity: f.entryId ? `entry:${f.entryId}` : `account:${f.customerId}`,
        expected: null,
        actual: f.accountVersion,
        detail: `${f.customerId}: ${f.detail}`,
      });
    }
    if (key) await recordCheckpoints(db, key, heads, runId);
    return findings;
  }

  return {
    async beginReconciliation(input) {
      const run = await beginRun(db, {
        id: input.runId ?? newId('run'),
        trigger: input.trigger,
        actor: input.actor,
        workflowId: input.workflowId,
        executionId: input.executionId,
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
      findings.push(...(await chainFindings(runId, run.cursor, last.customerId)));
      const holdsReleased = await settleStaleHolds(snapshot.staleHolds, findings);
      const since = settings.shipmentLookbackMs > 0 ? Date.now() - settings.shipmentLookbackMs : null;
      const toShip =
        since === null ? snapshot.purchases : snapshot.purchases.filter((p) => p.createdAt.getTime() >= since);
      const shipmentsChecked = await shipmentFindings(toShip, requestId, findings);

      // Read after the holds were settled, so attempts failed just now are looked at too. The
      // last batch's range is open-ended: attempts of customers past the last account count.
      let orphansCancelled = 0;
      if (settings.failedAttemptLookbackMs > 0) {
        const final = snapshot.accounts.length < settings.batchSize || !(await hasAccountsAfter(db, last.customerId));
        const range = { after: run.cursor, last: final ? null : last.customerId };
        const failed = await readFailedAttempts(
          db,
          range,
          settings.failedAttemptLookbackMs,
          MAX_FAILED_ATTEMPTS_PER_BATCH,
        );
        if (failed.truncated) {
          findings.push({
            severity: 'warning',
            kind: 'failed_attempt_check_truncated',
            entity: `batch:${run.cursor ?? ''}..${range.last ?? ''}`,
            expected: null,
            actual: MAX_FAILED_ATTEMPTS_PER_BATCH,
            detail: `more than ${MAX_FAILED_ATTEMPTS_PER_BATCH} failed attempts in this batch of accounts; only the newest were looked up on the platform (lower RECONCILE_BATCH_SIZE)`,
          });
        }
        orphansCancelled = await settleOrphanShipments(failed.rows, requestId, findings);
      }

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
          Context.current().log.warn('reconciliation findings', {
            runId,
            batchAfter: run.cursor,
            batchLast: last.customerId,
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
            holdsReleased,
            orphansCancelled,
          });
        }
      }
      return { done: false, accounts: snapshot.accounts.length, findings: findings.length };
    },

    async finishReconciliation({ runId, status, error }) {
      const run = await finishRun(db, runId, status, error);
      Context.current().log.info('reconciliation run finished', {
        runId,
        status: run.status,
        findingCount: run.findingCount,
        ...run.counts,
      });
      return summaryOf(run);
    },
  };
}
