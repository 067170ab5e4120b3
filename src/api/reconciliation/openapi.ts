/** OpenAPI registration of reconciliation runs. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  ReconciliationRun,
  ReconciliationRunIdParam,
  ReconciliationRunList,
  ReconciliationRunListQuery,
  ReconciliationRunPending,
} from '../../contracts/index.js';
import { problems } from '../openapi-parts.js';

export function registerReconciliationPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliation/runs',
    tags: ['Reconciliation'],
    summary: 'Reconciliation runs, newest first',
    description:
      'Role: admin. Scheduled runs (Temporal Schedule `reconcile-ledger`, every RECONCILE_INTERVAL_MS) and manual ones; keyset-paginated on (startedAt, id). Findings are in the single run.',
    request: { query: ReconciliationRunListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: ReconciliationRunList } } },
      ...problems(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliation/runs/{runId}',
    tags: ['Reconciliation'],
    summary: 'A reconciliation run with its findings',
    description: 'Role: admin.',
    request: { params: ReconciliationRunIdParam },
    responses: {
      200: { description: 'The run', content: { 'application/json': { schema: ReconciliationRun } } },
      ...problems('reconciliation_run_not_found'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/reconciliation/runs',
    tags: ['Reconciliation'],
    summary: 'Run a reconciliation now',
    description: [
      'Role: admin. Starts the `reconcileLedger` workflow (`reconcile-<runId>`) and waits up to PURCHASE_SYNC_TIMEOUT_MS.',
      "It checks every account (balance = sum of entries, held = pending holds, the balance_after chain, the hash chain recomputed as POST /v1/ledger/verify does: findings `hash_chain_broken`, `checkpoint_mismatch`, `checkpoint_signature_invalid`; with LEDGER_CHECKPOINT_KEY set it signs each intact account's head as a checkpoint), every purchase (refunds, entries, shipment on the platform), and releases pending holds older than RECONCILE_HOLD_AGE_MS whose purchase workflow is closed. It changes no other money.",
      'On the platform it changes one thing: a live shipment of a purchase attempt that failed (within RECONCILE_FAILED_ATTEMPT_LOOKBACK_MS, after reaching CreateShipment) is cancelled, once the books are read again and show no purchase, entry or live hold for it (finding `orphan_shipment_cancelled`; a refused cancel is the error `orphan_shipment_cancel_refused`). Cancelling is idempotent: a later run reports nothing new.',
    ].join('\n\n'),
    responses: {
      201: {
        description: 'Finished (completed or failed); header Location',
        content: { 'application/json': { schema: ReconciliationRun } },
      },
      202: {
        description: 'Still running at the deadline; header Location: /v1/reconciliation/runs/{id}',
        content: { 'application/json': { schema: ReconciliationRunPending } },
      },
      ...problems('service_unavailable'),
    },
  });
}
