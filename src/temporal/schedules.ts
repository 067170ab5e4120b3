/**
 * Temporal Schedules the service owns, created or updated idempotently at start-up (worker
 * and dev modes): every replica may run this at once; the first creates the schedule, the
 * others (and every restart) update it in place, so there is never a second one.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { reconcileLedger } from '../../workflows/index.js';

export type ScheduleOutcome = 'created' | 'updated' | 'disabled';

/** The options of the `reconcile-ledger` schedule: every RECONCILE_INTERVAL_MS, never two at once. */
export function reconcileScheduleOptions(config: Config): ScheduleOptions {
  return {
    scheduleId: config.reconcile.scheduleId,
    spec: { intervals: [{ every: config.reconcile.intervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: reconcileLedger,
      // The schedule appends the nominal start time to this id.
      workflowId: config.reconcile.scheduleId,
      taskQueue: config.temporal.taskQueue,
      args: [{ trigger: 'schedule' }],
    },
    policies: {
      // A run still going when the next is due: skip the new one (the next interval catches up).
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 minute',
      pauseOnFailure: false,
    },
    state: {
      note: 'Managed by purchase-ledger at start-up (src/temporal/schedules.ts); edits are overwritten on restart.',
    },
  };
}

/**
 * Creates the reconciliation schedule, or on "already exists" updates it to the current
 * configuration (interval, task queue). RECONCILE_INTERVAL_MS=0 leaves any existing schedule alone.
 */
export async function ensureReconcileSchedule(
  client: Client,
  config: Config,
  logger: Logger,
): Promise<ScheduleOutcome> {
  if (config.reconcile.intervalMs === 0) {
    logger.info(
      { scheduleId: config.reconcile.scheduleId },
      'reconciliation schedule disabled (RECONCILE_INTERVAL_MS=0)',
    );
    return 'disabled';
  }
  const options = reconcileScheduleOptions(config);
  try {
    await client.schedule.create(options);
    logger.info(
      { scheduleId: options.scheduleId, everyMs: config.reconcile.intervalMs },
      'reconciliation schedule created',
    );
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
    // Keep a pause an operator set; refresh the note.
    state: { ...previous.state, note: previous.state.paused ? previous.state.note : options.state?.note },
  }));
  logger.info(
    { scheduleId: options.scheduleId, everyMs: config.reconcile.intervalMs },
    'reconciliation schedule updated',
  );
  return 'updated';
}
