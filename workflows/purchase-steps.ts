/**
 * The purchase saga's steps that call activities, in the three shapes recorded histories have
 * (the saga itself, workflows/purchase.ts, is the same for all):
 *
 * - `mergedSteps` (patch `purchase-merged-steps-v3`, what new executions run): v2's local steps
 *   merged where nothing waits in between — load + price check + reserve is one local activity,
 *   CreateShipment's first attempt + commit another — so the happy path is three activations
 *   instead of five. Where a merged step's first half does not pass, it stops and the saga
 *   continues with v2's steps (below) from there.
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
import type {
  CreateShipmentInput,
  LoadAndReserveInput,
  LoadedAndReserved,
  PurchaseContext,
  ShipAndCommitInput,
  ShipmentRef,
} from '../activities/purchase.js';
import type { PurchaseStage } from '../src/contracts/purchases.js';
import { applicationFailureOf, describe, refusalOf } from './failures.js';

/** What the commit records besides the shipment: the purchase's terms, known before shipping. */
export type CommitTerms = ShipAndCommitInput['commit'];

/** What shipping gave: the shipment, and whether the same step also committed the purchase (v3). */
export interface Shipped {
  readonly shipment: ShipmentRef;
  readonly committed: boolean;
}

/** What the saga asks of the outside world, by intent. */
export interface PurchaseSteps {
  /**
   * v3 only: load, price-check and reserve as one step (one activation instead of two). It
   * stops without a reservation when the price check or the reservation does not pass, and the
   * saga then runs its own price check and `reserve` step, which refuse or retry as before.
   */
  readonly loadAndReserve?: (request: LoadAndReserveInput) => Promise<LoadedAndReserved>;
  load(request: { customerId: string; productId: string; requestId: string | null }): Promise<PurchaseContext>;
  reserve(request: ReserveInput): Promise<Reservation>;
  /**
   * Creates the shipment, retrying transient failures within `budgetMs`; a 4xx is final
   * (`shipment_rejected`). v3 commits with `terms` in the same step when the platform answers at
   * once (`committed: true`); otherwise the saga runs its `commit` step.
   */
  ship(request: CreateShipmentInput, budgetMs: number, terms: CommitTerms): Promise<Shipped>;
  /** Looks the shipment up by its idempotency key until the platform answers. */
  findShipment(request: { purchaseId: string; requestId: string | null }): Promise<ShipmentRef | null>;
  commit(request: CommitInput): Promise<void>;
  releaseReservation(request: { purchaseId: string; reason: string }, stage: PurchaseStage): Promise<void>;
  recordFailure(request: { purchaseId: string; problem: Record<string, unknown> }, stage: PurchaseStage): Promise<void>;
}

/** Called when a step keeps failing and the saga goes on retrying it: operators should see where it waits. */
export type ShowStage = (stage: PurchaseStage, lastError: string) => void;

type ReserveInput = Parameters<Activities['reserveCredit']>[0];
/** What a reservation holds: the hold and the terms it was taken on. */
export type Reservation = Awaited<ReturnType<Activities['reserveCredit']>>;
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
  return localSteps(showStage, (request) => shippingFirstAttempt.createShipment(request).then(uncommitted));
}

function uncommitted(shipment: ShipmentRef): Shipped {
  return { shipment, committed: false };
}

/** A first local attempt of shipping (v2: CreateShipment; v3: CreateShipment and the commit). */
type FirstShippingAttempt = (request: CreateShipmentInput, terms: CommitTerms) => Promise<Shipped>;

function localSteps(showStage: ShowStage, firstAttempt: FirstShippingAttempt): PurchaseSteps {
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
    async ship(request, budgetMs, terms) {
      const startedAt = Date.now();
      try {
        return await firstAttempt(request, terms);
      } catch (error) {
        if (isCancellation(error) || applicationFailureOf(error)?.type === 'shipment_rejected') throw error;
        showStage('shipping', describe(error));
        const rest = Math.max(1_000, budgetMs - (Date.now() - startedAt));
        return uncommitted(await shippingWithin(rest).createShipment(request));
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

// ---- v3: the same steps, merged into two local activities where nothing waits ---------

const loadingAndReserving: Pick<Activities, 'loadAndReserve'> = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: LOAD_RETRY,
});
/** CreateShipment's first attempt and the commit after it; past its timeout `shippingWithin` takes over. */
const shippingAndCommitting: Pick<Activities, 'shipAndCommit'> = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * v3 (patch `purchase-merged-steps-v3`): v2's steps, with load + price check + reserve as one
 * local activity and CreateShipment's first attempt + commit as another, so a purchase whose
 * platform answers at once is three activations of one workflow task instead of five. Each
 * merged step stops where its first half did not pass and the saga goes on with v2's steps from
 * there (same refusals, same retries, same stages shown); the `status` query still shows
 * `loading` and then `shipping`, the stage in which operators can cancel.
 */
export function mergedSteps(showStage: ShowStage): PurchaseSteps {
  return {
    ...localSteps(showStage, async (request, terms) => {
      const result = await shippingAndCommitting.shipAndCommit({ ...request, commit: terms });
      return { shipment: result.shipment, committed: result.committed };
    }),
    loadAndReserve: (request) => loadingAndReserving.loadAndReserve(request),
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
    ship: async (request, budgetMs) => uncommitted(await shippingWithin(budgetMs).createShipment(request)),
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
