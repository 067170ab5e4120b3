/**
 * The purchase saga's steps that call activities, in the two shapes recorded histories have
 * (the saga itself, workflows/purchase.ts, is the same for both):
 *
 * - `currentSteps` (patch `purchase-local-steps-v2`): the platform reads and the database
 *   steps are *local* activities, which run inside the workflow task instead of a round trip
 *   through the server's task queues each. CreateShipment's first attempt is local too,
 *   bounded by the platform client's timeout; only when it fails (not a 4xx) does the saga
 *   show `shipping` and move to a regular activity that retries within the rest of the
 *   budget, where operators see it wait and can cancel it. A purchase whose platform answers
 *   is then one workflow task. A database step gets a few quick local tries; if they fail for
 *   an infrastructure reason the saga shows its stage with the error and retries it for good.
 *   Duplicated attempts are harmless: every step is idempotent on the purchase id.
 * - `stepsBeforeLocalActivities` (no patch marker): every step a regular activity. Kept only
 *   so executions started before the patch replay; the README says when it goes.
 *
 * Activity type names (`reserveCredit`, `releaseCredit`, …) are part of recorded histories:
 * renaming one breaks the replay of every execution that ran it.
 */
import { isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CreateShipmentInput, PurchaseContext, ShipmentRef } from '../activities/purchase.js';
import type { PurchaseStage } from '../src/contracts/purchases.js';
import { applicationFailureOf, describe, refusalOf } from './failures.js';

/** What the saga asks of the outside world, by intent. */
export interface PurchaseSteps {
  load(request: { customerId: string; productId: string; requestId: string | null }): Promise<PurchaseContext>;
  reserve(request: ReserveInput): Promise<Reservation>;
  /** Creates the shipment, retrying transient failures within `budgetMs`; a 4xx is final (`shipment_rejected`). */
  ship(request: CreateShipmentInput, budgetMs: number): Promise<ShipmentRef>;
  /** Looks the shipment up by its idempotency key until the platform answers. */
  findShipment(request: { purchaseId: string; requestId: string | null }): Promise<ShipmentRef | null>;
  commit(request: CommitInput): Promise<void>;
  releaseReservation(request: { purchaseId: string; reason: string }, stage: PurchaseStage): Promise<void>;
  recordFailure(request: { purchaseId: string; problem: Record<string, unknown> }, stage: PurchaseStage): Promise<void>;
}

/** Called when a step keeps failing and the saga goes on retrying it: operators should see where it waits. */
export type ShowStage = (stage: PurchaseStage, lastError: string) => void;

type ReserveInput = Parameters<Activities['reserveCredit']>[0];
type Reservation = Awaited<ReturnType<Activities['reserveCredit']>>;
type CommitInput = Parameters<Activities['commitPurchase']>[0];
type PlatformReads = Pick<Activities, 'loadPurchaseContext'>;
type LedgerWrites = Pick<Activities, 'reserveCredit' | 'commitPurchase' | 'releaseCredit' | 'recordAttemptFailure'>;
type Shipping = Pick<Activities, 'createShipment'>;
type ShipmentLookup = Pick<Activities, 'findShipment'>;

// A few tries of the platform reads, then the purchase fails with `platform_unavailable`.
const LOAD_RETRY = {
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '2 seconds',
  maximumAttempts: 4,
} as const;
// Database steps: transient failures (connection reset, failover) retried without limit;
// business refusals are non-retryable failures and surface at once.
const LEDGER_RETRY = {
  initialInterval: '100 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
} as const;
// CreateShipment: transient failures retried with backoff inside the budget; a 4xx is final.
const SHIPMENT_RETRY = {
  initialInterval: '500 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  nonRetryableErrorTypes: ['shipment_rejected'],
};

// Never compensate without knowing: keep asking until the platform answers (a regular
// activity in both shapes, so operators see it wait and can cancel it).
const shipmentLookup: ShipmentLookup = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function shippingWithin(budgetMs: number): Shipping {
  return proxyActivities<Activities>({
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: budgetMs,
    retry: SHIPMENT_RETRY,
  });
}

// ---- v2: local first ------------------------------------------------------------------

const platformReads: PlatformReads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: LOAD_RETRY,
});
/** A database step's first tries; if they fail, the saga shows the stage and retries for good. */
const ledgerQuickTries: LedgerWrites = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { ...LEDGER_RETRY, maximumInterval: '1 second', maximumAttempts: 3 },
});
const ledgerUntilDone: LedgerWrites = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: LEDGER_RETRY,
});
/** CreateShipment's first attempt: past the platform client's timeout it fails and `shippingWithin` takes over. */
const shippingFirstAttempt: Shipping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 1 },
});

export function currentSteps(showStage: ShowStage): PurchaseSteps {
  /** Quick local tries; on an infrastructure failure show the stage, then retry until done. A refusal is thrown at once. */
  async function ledger<T>(stage: PurchaseStage, write: (ledger: LedgerWrites) => Promise<T>): Promise<T> {
    try {
      return await write(ledgerQuickTries);
    } catch (error) {
      if (refusalOf(error)) throw error;
      showStage(stage, describe(error));
      return write(ledgerUntilDone);
    }
  }
  return {
    load: (request) => platformReads.loadPurchaseContext(request),
    reserve: (request) => ledger('reserving', (l) => l.reserveCredit(request)),
    async ship(request, budgetMs) {
      const startedAt = Date.now();
      try {
        return await shippingFirstAttempt.createShipment(request);
      } catch (error) {
        if (isCancellation(error) || applicationFailureOf(error)?.type === 'shipment_rejected') throw error;
        showStage('shipping', describe(error));
        return shippingWithin(Math.max(1_000, budgetMs - (Date.now() - startedAt))).createShipment(request);
      }
    },
    findShipment: (request) => shipmentLookup.findShipment(request),
    async commit(request) {
      await ledger('committing', (l) => l.commitPurchase(request));
    },
    async releaseReservation(request, stage) {
      await ledger(stage, (l) => l.releaseCredit(request));
    },
    recordFailure: (request, stage) => ledger(stage, (l) => l.recordAttemptFailure(request)),
  };
}

// ---- v1: every step a regular activity (executions started before the patch) ----------

const platformReadsV1: PlatformReads = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: LOAD_RETRY,
});
const ledgerV1: LedgerWrites = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: LEDGER_RETRY });

export function stepsBeforeLocalActivities(): PurchaseSteps {
  return {
    load: (request) => platformReadsV1.loadPurchaseContext(request),
    reserve: (request) => ledgerV1.reserveCredit(request),
    ship: (request, budgetMs) => shippingWithin(budgetMs).createShipment(request),
    findShipment: (request) => shipmentLookup.findShipment(request),
    async commit(request) {
      await ledgerV1.commitPurchase(request);
    },
    async releaseReservation(request) {
      await ledgerV1.releaseCredit(request);
    },
    recordFailure: (request) => ledgerV1.recordAttemptFailure(request),
  };
}
