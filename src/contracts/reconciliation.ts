/** Reconciliation runs and their findings (admin). */
import { z } from 'zod';
import { ListQuery, Timestamp } from './common.js';

export const FindingSeverity = z.enum(['error', 'warning', 'info']).meta({ id: 'FindingSeverity' });
export type FindingSeverity = z.infer<typeof FindingSeverity>;

export const ReconciliationFinding = z
  .object({
    severity: FindingSeverity,
    kind: z.string().meta({
      description:
        'balance_mismatch, held_mismatch, version_mismatch, version_gap, balance_chain_broken, refunds_exceed_total, ' +
        'refunded_amount_mismatch, refund_entries_mismatch, purchase_entry_mismatch, shipment_missing, shipment_mismatch, ' +
        'shipment_cancelled, shipment_check_failed, orphaned_hold_released, hold_pending_after_commit, ' +
        'hold_awaiting_running_workflow, hold_check_failed, hold_check_skipped, ' +
        'orphan_shipment_cancelled (a live shipment of a failed purchase attempt was cancelled on the platform; `entity` is the ' +
        'purchase, `actual` the shipment id), orphan_shipment_cancel_refused (the platform refused that cancel, e.g. already ' +
        'shipped: needs a human), orphan_shipment_not_cancelled (the books or the shipment contradict the failure: not cancelled, ' +
        'needs a human), orphan_shipment_check_failed (the platform did not answer; the next run retries), ' +
        'failed_attempt_check_truncated (a batch had more failed attempts than one run looks up). ' +
        'See docs/operations.md for what each means and what to do.',
      example: 'balance_mismatch',
    }),
    entity: z.string().meta({
      description:
        '`account:<customerId>`, `entry:<id>`, `purchase:<id>` (also a failed purchase attempt), `hold:<id>` or `batch:<after>..<last>` (customer id range)',
      example: 'account:cus_ada',
    }),
    expected: z.union([z.string(), z.number()]).nullable(),
    actual: z.union([z.string(), z.number()]).nullable(),
    detail: z.string(),
  })
  .meta({ id: 'ReconciliationFinding' });
export type ReconciliationFinding = z.infer<typeof ReconciliationFinding>;

export const ReconciliationCounts = z
  .object({
    accounts: z.number().int(),
    entries: z.number().int(),
    pendingHolds: z.number().int(),
    purchases: z.number().int(),
    refunds: z.number().int(),
    shipmentsChecked: z.number().int(),
    holdsReleased: z.number().int(),
    errors: z.number().int(),
    warnings: z.number().int(),
    infos: z.number().int(),
  })
  .meta({ id: 'ReconciliationCounts' });
export type ReconciliationCounts = z.infer<typeof ReconciliationCounts>;

export const ReconciliationRunSummary = z
  .object({
    id: z.string().meta({ example: 'run_01JDQ8X4N2V7W3K5M9P0R1S2T3' }),
    trigger: z.enum(['schedule', 'manual']),
    status: z.enum(['running', 'completed', 'failed']),
    actor: z.string().nullable(),
    workflowId: z.string(),
    startedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    counts: ReconciliationCounts,
    findingCount: z
      .number()
      .int()
      .meta({ description: 'All findings; at most the first 1000 are stored in `findings`' }),
    error: z.string().nullable().meta({ description: 'Why a failed run failed' }),
  })
  .meta({ id: 'ReconciliationRunSummary' });
export type ReconciliationRunSummary = z.infer<typeof ReconciliationRunSummary>;

export const ReconciliationRun = ReconciliationRunSummary.extend({
  findings: z.array(ReconciliationFinding),
}).meta({ id: 'ReconciliationRun' });
export type ReconciliationRun = z.infer<typeof ReconciliationRun>;

export const ReconciliationRunPending = z
  .object({ id: z.string(), status: z.literal('running') })
  .meta({ id: 'ReconciliationRunPending' });
export type ReconciliationRunPending = z.infer<typeof ReconciliationRunPending>;

export const ReconciliationRunList = z
  .object({
    data: z.array(ReconciliationRunSummary),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
  })
  .meta({ id: 'ReconciliationRunList' });
export type ReconciliationRunList = z.infer<typeof ReconciliationRunList>;

export const ReconciliationRunListQuery = ListQuery.strict();
export type ReconciliationRunListQuery = z.infer<typeof ReconciliationRunListQuery>;

export const ReconciliationRunIdParam = z.object({
  runId: z.string().regex(/^run_[0-9A-Z]{26}$/, 'a run id such as run_01JD…'),
});
