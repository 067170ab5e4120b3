/**
 * Every branch of the purchase saga (workflows/purchase.ts, current shape) on the time-skipping
 * test server, with stubbed activities: each refusal, errors of the saga's own steps, the
 * shipment retried within its budget and past it, a 4xx, the ambiguous outcome found or not,
 * database steps that keep failing (reserve, commit, compensation), and the operator's
 * `cancelPurchase` update wherever it can arrive. Budgets and backoffs pass in skipped time.
 *
 * Each test scripts its own activities (`startSaga(stubs)`; unscripted ones succeed); the
 * worker routes every call to the script of the workflow that made it. Every run also checks
 * that no workflow task failed: no input and no answer of a step may wedge a saga.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import {
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../activities/index.js';
import { mergedPurchaseSteps, type PurchaseContext } from '../activities/purchase.js';
import { holdIdFor } from '../src/domain/purchase.js';
import { bundleWorkflows, startTimeSkippingEnvironment } from '../test/support/time-skipping.js';
import { until } from '../test/support/wait.js';
import {
  cancelPurchaseUpdate,
  MERGED_STEPS_PATCH,
  purchaseProduct,
  statusQuery,
  type PurchaseInput,
  type PurchaseOutcome,
} from './purchase.js';

type Stubbed = Pick<
  Activities,
  | 'loadPurchaseContext'
  | 'reserveCredit'
  | 'createShipment'
  | 'findShipment'
  | 'commitPurchase'
  | 'releaseCredit'
  | 'recordAttemptFailure'
>;
type StubName = keyof Stubbed;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const EventType = proto.temporal.api.enums.v1.EventType;
const TASK_QUEUE = 'saga-time-skipping';
const ADDRESS = { line1: '1 Main St', line2: null, city: 'Springfield', postalCode: '12345', country: 'US' };
const CONTEXT: PurchaseContext = {
  customer: { id: 'cus_stub', address: ADDRESS },
  product: { id: 'prod_stub', name: 'Stub', unitPrice: 1_000, currency: 'USD', active: true },
};

const DEFAULTS: Stubbed = {
  loadPurchaseContext: () => Promise.resolve(CONTEXT),
  reserveCredit: (i) =>
    Promise.resolve({ holdId: holdIdFor(i.purchaseId), discount: 0, total: i.subtotal, promoCode: i.promoCode }),
  createShipment: (i) => Promise.resolve({ id: `shp_${i.purchaseId}`, status: 'created', address: i.address }),
  findShipment: () => Promise.resolve(null),
  commitPurchase: (i) => Promise.resolve({ purchaseId: i.purchaseId, sagaSeconds: 0.01 }),
  releaseCredit: () => Promise.resolve({ released: true }),
  recordAttemptFailure: () => Promise.resolve(),
};

/** A business refusal as activities report it (activities/failures.ts). */
function refusal(code: string, message: string, extensions: Record<string, unknown> = {}): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: [extensions] });
}
const platformDown = (): ApplicationFailure =>
  ApplicationFailure.create({ type: 'platform_unavailable', message: 'HTTP 503', nonRetryable: false });
const databaseDown = (): Error => new Error('connection terminated unexpectedly');

/** A stub that fails `times` times with `error()`, then does what `then` does. */
function failing<A extends unknown[], R>(
  times: number,
  error: () => Error,
  then: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  let left = times;
  return (...args: A) => {
    if (left > 0) {
      left -= 1;
      return Promise.reject(error());
    }
    return then(...args);
  };
}
const always = (error: () => Error) => (): Promise<never> => Promise.reject(error());

interface SagaRun {
  readonly purchaseId: string;
  readonly workflowId: string;
  readonly input: PurchaseInput;
  readonly stubs: Partial<Stubbed>;
  readonly calls: { readonly name: StubName; readonly input: unknown }[];
  /** The merged steps (v3) the saga ran, in order; their single steps are in `calls`. */
  readonly merged: string[];
  handle: WorkflowHandle<typeof purchaseProduct> | null;
}

const runs = new Map<string, SagaRun>();
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let sequence = 0;

/**
 * Every activity of the worker: the calling workflow's script, else the default. The merged
 * steps of saga v3 are the production composition (`mergedPurchaseSteps`) of the scripted
 * single steps, so every script below drives v3 as it drives the single steps.
 */
function routedActivities(): Stubbed & Pick<Activities, 'loadAndReserve' | 'shipAndCommit'> {
  const route =
    (name: StubName) =>
    (input: unknown): Promise<unknown> => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '(none)';
      const run = runs.get(workflowId);
      if (!run) return Promise.reject(ApplicationFailure.nonRetryable(`no script for workflow ${workflowId}`));
      run.calls.push({ name, input });
      const stub = (run.stubs[name] ?? DEFAULTS[name]) as (input: unknown) => Promise<unknown>;
      return stub(input);
    };
  const single = Object.fromEntries(
    (Object.keys(DEFAULTS) as StubName[]).map((name) => [name, route(name)]),
  ) as unknown as Stubbed;
  const merged = mergedPurchaseSteps({
    loadContext: single.loadPurchaseContext,
    reserve: single.reserveCredit,
    createShipment: single.createShipment,
    commit: single.commitPurchase,
  });
  const mergedCalls =
    <K extends keyof typeof merged>(name: K) =>
    (input: Parameters<(typeof merged)[K]>[0]): ReturnType<(typeof merged)[K]> => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '(none)';
      runs.get(workflowId)?.merged.push(name);
      return (merged[name] as (i: typeof input) => ReturnType<(typeof merged)[K]>)(input);
    };
  return { ...single, loadAndReserve: mergedCalls('loadAndReserve'), shipAndCommit: mergedCalls('shipAndCommit') };
}

beforeAll(async () => {
  // Stubbed activities fail on purpose; the SDK would log a warning for each attempt.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [started, bundle] = await Promise.allSettled([startTimeSkippingEnvironment(), bundleWorkflows()]);
  if (started.status === 'fulfilled') env = started.value; // torn down in afterAll, whatever fails next
  if (started.status === 'rejected') throw started.reason;
  if (bundle.status === 'rejected') throw bundle.reason;
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle.value,
    activities: routedActivities(),
  });
  running = worker.run();
  // A worker's first workflow task loads the bundle into its sandbox (about a second): here,
  // not in the first test's time.
  expect((await finish(await startSaga())).outcome.status).toBe('completed');
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
}, 60_000);

function script(stubs: Partial<Stubbed>, input: Partial<PurchaseInput>): SagaRun {
  sequence += 1;
  const purchaseId = `pur_ts${sequence}_${Date.now().toString(36)}`;
  const run: SagaRun = {
    purchaseId,
    workflowId: `purchase-${purchaseId}`,
    input: {
      purchaseId,
      customerId: 'cus_stub',
      productId: 'prod_stub',
      quantity: 1,
      actor: 'web',
      requestId: null,
      shipmentBudgetMs: 60_000,
      ...input,
    },
    stubs,
    calls: [],
    merged: [],
    handle: null,
  };
  runs.set(run.workflowId, run);
  return run;
}

async function startSaga(stubs: Partial<Stubbed> = {}, input: Partial<PurchaseInput> = {}): Promise<SagaRun> {
  const run = script(stubs, input);
  run.handle = await env.client.workflow.start(purchaseProduct, {
    taskQueue: TASK_QUEUE,
    workflowId: run.workflowId,
    args: [run.input],
  });
  return run;
}

function handleOf(run: SagaRun): WorkflowHandle<typeof purchaseProduct> {
  if (!run.handle) throw new Error(`${run.workflowId} was not started`);
  return run.handle;
}

function callsOf<K extends StubName>(run: SagaRun, name: K): Parameters<Stubbed[K]>[0][] {
  return run.calls.filter((c) => c.name === name).map((c) => c.input as Parameters<Stubbed[K]>[0]);
}

interface Finished {
  readonly outcome: PurchaseOutcome;
  readonly events: HistoryEvent[];
  /** Values written to `PurchaseStage`, in order. */
  readonly stages: string[];
  /** The patches the run took, as the SDK writes them to `TemporalChangeVersion`. */
  readonly patches: unknown[];
}

/**
 * `RECORD_HISTORIES=<dir>`: each finished run's history is also written there, named after its
 * test, the way test/fixtures/histories/ is recorded (see its README).
 */
const RECORD_DIR = process.env.RECORD_HISTORIES;

/** Awaits the saga's result (time skips meanwhile) and reads its history. */
async function finish(run: SagaRun): Promise<Finished> {
  const handle = handleOf(run);
  const outcome = await handle.result();
  const history = await handle.fetchHistory();
  if (RECORD_DIR) {
    const name = (expect.getState().currentTestName ?? run.workflowId).replace(/[^a-z0-9]+/gi, '-').slice(0, 120);
    mkdirSync(RECORD_DIR, { recursive: true });
    writeFileSync(path.join(RECORD_DIR, `${name}.json`), JSON.stringify(history));
  }
  const events = history.events ?? [];
  expect(ofType(events, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'workflow tasks failed').toBe(0);
  const written = events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    .flatMap((e) =>
      Object.entries(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    )
    .map(([key, payload]) => ({
      key,
      value: payload.data ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as unknown) : null,
    }));
  return {
    outcome,
    events,
    stages: written.filter((w) => w.key === 'PurchaseStage').map((w) => String(w.value)),
    patches: written.filter((w) => w.key === 'TemporalChangeVersion').map((w) => w.value),
  };
}

function ofType(events: HistoryEvent[], type: proto.temporal.api.enums.v1.EventType): number {
  return events.filter((e) => e.eventType === type).length;
}

function failed(outcome: PurchaseOutcome): Extract<PurchaseOutcome, { status: 'failed' }>['error'] {
  if (outcome.status !== 'failed') throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

async function stageIs(run: SagaRun, stage: string): Promise<void> {
  await until(
    `stage ${stage}`,
    async () => ((await handleOf(run).query(statusQuery)).stage === stage ? true : null),
    10_000,
    10,
  );
}

describe('refusals: failed at once, the attempt recorded, nothing reserved or shipped that is not given back', () => {
  const cases: [string, Partial<Stubbed>, Partial<PurchaseInput>, string, number][] = [
    [
      'customer not found',
      {
        loadPurchaseContext: always(() =>
          refusal('customer_not_found', 'no such customer', { customerId: 'cus_stub' }),
        ),
      },
      {},
      'customer_not_found',
      404,
    ],
    [
      'product not found',
      {
        loadPurchaseContext: always(() => refusal('product_not_found', 'no such product', { productId: 'prod_stub' })),
      },
      {},
      'product_not_found',
      404,
    ],
    [
      'product unavailable',
      { loadPurchaseContext: () => Promise.resolve({ ...CONTEXT, product: { ...CONTEXT.product, active: false } }) },
      {},
      'product_unavailable',
      422,
    ],
    ['price changed', {}, { expectedUnitPrice: 999 }, 'price_changed', 409],
    ['quantity out of bounds', {}, { quantity: 0 }, 'validation_failed', 400],
    [
      'price × quantity past 2^53',
      {
        loadPurchaseContext: () =>
          Promise.resolve({ ...CONTEXT, product: { ...CONTEXT.product, unitPrice: 5_000_000_000_000_000 } }),
      },
      { quantity: 2 },
      'amount_out_of_range',
      422,
    ],
    [
      'platform unavailable while loading (4 quick tries)',
      { loadPurchaseContext: always(platformDown) },
      {},
      'platform_unavailable',
      503,
    ],
  ];
  it.each(cases)('before reserving: %s', async (_name, stubs, input, code, status) => {
    const run = await startSaga(stubs, input);
    const { outcome, stages } = await finish(run);
    expect(failed(outcome)).toMatchObject({ code, status });
    expect(callsOf(run, 'reserveCredit')).toEqual([]);
    expect(callsOf(run, 'createShipment')).toEqual([]);
    expect(callsOf(run, 'releaseCredit')).toEqual([]);
    expect(callsOf(run, 'recordAttemptFailure')).toEqual([{ purchaseId: run.purchaseId, problem: failed(outcome) }]);
    expect(stages).toEqual(['failed']);
  });

  it('the overflow refusal names the price and the bound', async () => {
    const run = await startSaga(
      {
        loadPurchaseContext: () =>
          Promise.resolve({ ...CONTEXT, product: { ...CONTEXT.product, unitPrice: Number.MAX_SAFE_INTEGER } }),
      },
      { quantity: 3 },
    );
    expect(failed((await finish(run)).outcome)).toMatchObject({
      code: 'amount_out_of_range',
      status: 422,
      quantity: 3,
      maxAmount: Number.MAX_SAFE_INTEGER,
      unitPrice: { amount: Number.MAX_SAFE_INTEGER, currency: 'USD' },
    });
  });

  const reserveRefusals: [string, ApplicationFailure, string, number][] = [
    [
      'insufficient credit',
      refusal('insufficient_credit', 'Available credit 10 is less than the 1000 required.', {
        available: 10,
        required: 1_000,
      }),
      'insufficient_credit',
      409,
    ],
    [
      'currency mismatch',
      refusal('currency_mismatch', "The customer's credit is kept in EUR.", {
        accountCurrency: 'EUR',
        currency: 'USD',
      }),
      'currency_mismatch',
      422,
    ],
    [
      'promo code invalid',
      refusal('promo_code_invalid', 'The code is used up.', { reason: 'exhausted' }),
      'promo_code_invalid',
      422,
    ],
  ];
  it.each(reserveRefusals)(
    'when reserving: %s (no retry, nothing to release)',
    async (_name, failure, code, status) => {
      const run = await startSaga({ reserveCredit: always(() => failure) }, { promoCode: 'TEN' });
      const { outcome, stages } = await finish(run);
      expect(failed(outcome)).toMatchObject({ code, status, ...(failure.details?.[0] as object) });
      expect(callsOf(run, 'reserveCredit')).toHaveLength(1);
      expect(callsOf(run, 'createShipment')).toEqual([]);
      expect(callsOf(run, 'releaseCredit')).toEqual([]);
      expect(callsOf(run, 'recordAttemptFailure')).toHaveLength(1);
      expect(stages).toEqual(['failed']);
    },
  );
});

describe("errors of the saga's own steps end it cleanly, never failing the workflow task", () => {
  it('an answer the pricing step cannot read: internal_error, nothing reserved', async () => {
    const malformed = { customer: CONTEXT.customer } as unknown as PurchaseContext;
    const run = await startSaga({ loadPurchaseContext: () => Promise.resolve(malformed) });
    const { outcome } = await finish(run);
    expect(failed(outcome)).toMatchObject({ code: 'internal_error', status: 500, step: 'be priced' });
    expect(callsOf(run, 'reserveCredit')).toEqual([]);
    expect(callsOf(run, 'recordAttemptFailure')).toHaveLength(1);
  });

  it('an unreadable reservation: internal_error, and the reservation is released', async () => {
    const run = await startSaga({
      reserveCredit: () => Promise.resolve(null as unknown as Awaited<ReturnType<Stubbed['reserveCredit']>>),
    });
    const { outcome, stages } = await finish(run);
    expect(failed(outcome)).toMatchObject({ code: 'internal_error', status: 500 });
    expect(callsOf(run, 'createShipment')).toEqual([]);
    expect(callsOf(run, 'releaseCredit')).toEqual([{ purchaseId: run.purchaseId, reason: 'pricing_failed' }]);
    expect(stages).toEqual(['failed']);
  });
});

describe('shipping', () => {
  it('a platform that answers: one workflow task, no activity task, the reserved terms committed', async () => {
    const run = await startSaga({}, { quantity: 3 });
    const { outcome, events, stages, patches } = await finish(run);
    expect(outcome).toEqual({ status: 'completed', purchaseId: run.purchaseId });
    expect(patches).toEqual([[MERGED_STEPS_PATCH]]);
    expect(stages).toEqual(['completed']);
    expect(ofType(events, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBe(1);
    expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0);
    // The patch marker, and one marker per local activity: load + reserve, ship + commit.
    expect(ofType(events, EventType.EVENT_TYPE_MARKER_RECORDED)).toBe(3);
    expect(run.merged).toEqual(['loadAndReserve', 'shipAndCommit']);
    expect(run.calls.map((c) => c.name)).toEqual([
      'loadPurchaseContext',
      'reserveCredit',
      'createShipment',
      'commitPurchase',
    ]);
    expect(callsOf(run, 'commitPurchase')).toEqual([
      expect.objectContaining({
        purchaseId: run.purchaseId,
        quantity: 3,
        unitPrice: 1_000,
        subtotal: 3_000,
        discount: 0,
        total: 3_000,
        currency: 'USD',
        shipmentId: `shp_${run.purchaseId}`,
        address: ADDRESS,
        workflowId: run.workflowId,
        actor: 'web',
      }),
    ]);
    expect(await handleOf(run).query(statusQuery)).toMatchObject({
      stage: 'completed',
      outcome: 'completed',
      holdId: holdIdFor(run.purchaseId),
      total: 3_000,
    });
  });

  it('failing three times, then created within the budget: shows "shipping", retried as a regular activity', async () => {
    const run = await startSaga({ createShipment: failing(3, platformDown, DEFAULTS.createShipment) });
    const { outcome, events, stages } = await finish(run);
    expect(outcome.status).toBe('completed');
    expect(callsOf(run, 'createShipment')).toHaveLength(4);
    expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(1);
    expect(stages).toEqual(['shipping', 'completed']);
    expect(callsOf(run, 'findShipment')).toEqual([]);
  });

  it('the 60 s budget exhausted and the look-up finds nothing: shipment_failed, the hold released', async () => {
    const run = await startSaga({ createShipment: always(platformDown) });
    const { outcome, stages } = await finish(run);
    const error = failed(outcome);
    expect(error).toMatchObject({ code: 'shipment_failed', status: 502 });
    expect(error.detail).toMatch(/within the 60 s retry budget/);
    // 0.5 s doubling to 10 s inside 60 s: about ten attempts, in skipped time.
    expect(callsOf(run, 'createShipment').length).toBeGreaterThanOrEqual(8);
    expect(callsOf(run, 'findShipment')).toEqual([{ purchaseId: run.purchaseId, requestId: null }]);
    expect(callsOf(run, 'releaseCredit')).toEqual([{ purchaseId: run.purchaseId, reason: 'shipment_failed' }]);
    expect(callsOf(run, 'commitPurchase')).toEqual([]);
    expect(stages).toEqual(['shipping', 'verifying_shipment', 'failed']);
  });

  it('an ambiguous outcome the look-up finds: the purchase commits with that shipment', async () => {
    const found = { id: 'shp_found', status: 'created', address: { ...ADDRESS, line1: '9 Old Rd' } };
    const run = await startSaga({ createShipment: always(platformDown), findShipment: () => Promise.resolve(found) });
    const { outcome, stages } = await finish(run);
    expect(outcome.status).toBe('completed');
    expect(callsOf(run, 'commitPurchase')).toEqual([
      expect.objectContaining({ shipmentId: 'shp_found', address: found.address }),
    ]);
    expect(callsOf(run, 'releaseCredit')).toEqual([]);
    expect(stages).toEqual(['shipping', 'verifying_shipment', 'completed']);
  });

  it('a look-up the platform does not answer is asked again until it does', async () => {
    const run = await startSaga({
      createShipment: always(platformDown),
      findShipment: failing(5, platformDown, DEFAULTS.findShipment),
    });
    const { outcome } = await finish(run);
    expect(failed(outcome).code).toBe('shipment_failed');
    expect(callsOf(run, 'findShipment')).toHaveLength(6);
  });

  it("a 4xx is final: shipment_failed with the platform's reason, one attempt, no look-up, the hold released", async () => {
    const rejected = ApplicationFailure.create({
      type: 'shipment_rejected',
      message: 'HTTP 400: invalid address',
      nonRetryable: true,
      details: [{ platformStatus: 400, platformCode: 'invalid_address', platformReason: 'HTTP 400: invalid address' }],
    });
    const run = await startSaga({ createShipment: always(() => rejected) });
    const { outcome, stages } = await finish(run);
    expect(failed(outcome)).toMatchObject({
      code: 'shipment_failed',
      status: 502,
      platformStatus: 400,
      platformCode: 'invalid_address',
    });
    expect(callsOf(run, 'createShipment')).toHaveLength(1);
    expect(callsOf(run, 'findShipment')).toEqual([]);
    expect(callsOf(run, 'releaseCredit')).toEqual([{ purchaseId: run.purchaseId, reason: 'shipment_rejected' }]);
    expect(stages).toEqual(['failed']);
  });
});

describe('database steps that keep failing: the stage is shown, the step retried until it succeeds', () => {
  it('reserve', async () => {
    const run = await startSaga({ reserveCredit: failing(4, databaseDown, DEFAULTS.reserveCredit) });
    const { outcome, stages } = await finish(run);
    expect(outcome.status).toBe('completed');
    expect(callsOf(run, 'reserveCredit')).toHaveLength(5);
    expect(stages).toEqual(['reserving', 'completed']);
  });

  it('commit', async () => {
    const run = await startSaga({ commitPurchase: failing(4, databaseDown, DEFAULTS.commitPurchase) });
    const { outcome, stages } = await finish(run);
    expect(outcome.status).toBe('completed');
    expect(callsOf(run, 'commitPurchase')).toHaveLength(5);
    expect(stages).toEqual(['committing', 'completed']);
  });

  it('compensation failing, then succeeding: released once it can be, then the failure recorded', async () => {
    const run = await startSaga({
      createShipment: always(() => refusal('shipment_rejected', 'HTTP 422')),
      releaseCredit: failing(4, databaseDown, DEFAULTS.releaseCredit),
    });
    const { outcome, stages } = await finish(run);
    expect(failed(outcome).code).toBe('shipment_failed');
    expect(callsOf(run, 'releaseCredit')).toHaveLength(5);
    expect(run.calls.map((c) => c.name).slice(-2)).toEqual(['releaseCredit', 'recordAttemptFailure']);
    expect(stages).toEqual(['compensating', 'failed']);
  });

  it('a compensation that fails for good is not swallowed: the saga fails and records no outcome', async () => {
    const run = await startSaga({
      createShipment: always(() => refusal('shipment_rejected', 'HTTP 422')),
      releaseCredit: always(() => ApplicationFailure.nonRetryable('hold row is locked by a migration', 'unexpected')),
    });
    await expect(handleOf(run).result()).rejects.toThrow(WorkflowFailedError);
    expect(callsOf(run, 'recordAttemptFailure')).toEqual([]);
    expect((await handleOf(run).query(statusQuery)).outcome).toBe('pending');
  });

  it("a step executed again after a worker died commits the reserved terms and the shipment's address", async () => {
    const shippedTo = { ...ADDRESS, line1: '9 Old Rd' };
    const run = await startSaga({
      reserveCredit: (i) =>
        Promise.resolve({ holdId: holdIdFor(i.purchaseId), discount: 0, total: 800, promoCode: null }),
      createShipment: (i) => Promise.resolve({ id: `shp_${i.purchaseId}`, status: 'created', address: shippedTo }),
    });
    expect((await finish(run)).outcome.status).toBe('completed');
    expect(callsOf(run, 'commitPurchase')).toEqual([
      expect.objectContaining({ unitPrice: 800, subtotal: 800, discount: 0, total: 800, address: shippedTo }),
    ]);
  });
});

describe('cancelPurchase', () => {
  it('in shipping, the shipment not found: purchase_cancelled, the hold released', async () => {
    const run = await startSaga({ createShipment: always(platformDown) });
    await stageIs(run, 'shipping');
    const status = await handleOf(run).executeUpdate(cancelPurchaseUpdate, {
      args: [{ reason: 'platform outage INC-42', actor: 'ops-alice' }],
    });
    expect(status).toMatchObject({ stage: 'failed', outcome: 'failed' });
    const { outcome, stages } = await finish(run);
    const error = failed(outcome);
    expect(error).toMatchObject({
      code: 'purchase_cancelled',
      status: 409,
      reason: 'platform outage INC-42',
      shipmentVerified: true,
    });
    expect(error.detail).toContain('ops-alice');
    expect(callsOf(run, 'findShipment')).toHaveLength(1);
    expect(callsOf(run, 'releaseCredit')).toEqual([{ purchaseId: run.purchaseId, reason: 'purchase_cancelled' }]);
    expect(stages).toEqual(['shipping', 'verifying_shipment', 'failed']);
  });

  it('in shipping, but the look-up finds the shipment: too late to cancel, the purchase commits', async () => {
    const run = await startSaga({
      createShipment: always(platformDown),
      findShipment: () => Promise.resolve({ id: 'shp_late', status: 'created' }),
    });
    await stageIs(run, 'shipping');
    expect(await handleOf(run).executeUpdate(cancelPurchaseUpdate, { args: [{ reason: 'give up' }] })).toMatchObject({
      outcome: 'completed',
      shipmentId: 'shp_late',
    });
    expect((await finish(run)).outcome.status).toBe('completed');
    expect(callsOf(run, 'releaseCredit')).toEqual([]);
  });

  it('in verifying_shipment (the look-up unanswered too): stops waiting and compensates', async () => {
    const run = await startSaga({ createShipment: always(platformDown), findShipment: always(platformDown) });
    await env.sleep('61 seconds');
    await stageIs(run, 'verifying_shipment');
    await handleOf(run).executeUpdate(cancelPurchaseUpdate, { args: [{ reason: 'platform outage', actor: 'ops' }] });
    const { outcome } = await finish(run);
    expect(failed(outcome)).toMatchObject({ code: 'purchase_cancelled', shipmentVerified: false });
    expect(failed(outcome).detail).toContain('did not answer the shipment look-up either');
    expect(callsOf(run, 'releaseCredit')).toEqual([{ purchaseId: run.purchaseId, reason: 'purchase_cancelled' }]);
  });

  it('refused without a reason: the saga goes on and completes once the platform is back', async () => {
    let platformUp = false;
    const run = await startSaga({
      createShipment: (i) => (platformUp ? DEFAULTS.createShipment(i) : Promise.reject(platformDown())),
    });
    await stageIs(run, 'shipping');
    await expect(handleOf(run).executeUpdate(cancelPurchaseUpdate, { args: [{ reason: ' ' }] })).rejects.toMatchObject({
      cause: { message: 'cancelPurchase needs a non-empty "reason"' },
    });
    expect((await handleOf(run).query(statusQuery)).stage).toBe('shipping');
    platformUp = true;
    expect((await finish(run)).outcome.status).toBe('completed');
  });

  it('refused when it arrives with the start (stage "started")', async () => {
    const run = script({}, {});
    const start = new WithStartWorkflowOperation(purchaseProduct, {
      taskQueue: TASK_QUEUE,
      workflowId: run.workflowId,
      args: [run.input],
      workflowIdConflictPolicy: 'FAIL',
    });
    const update = env.client.workflow.executeUpdateWithStart(cancelPurchaseUpdate, {
      args: [{ reason: 'changed my mind' }],
      startWorkflowOperation: start,
    });
    await expect(update).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(update).rejects.toMatchObject({
      cause: { message: expect.stringContaining('stage "started"') as unknown },
    });
    run.handle = await start.workflowHandle();
    expect((await finish(run)).outcome.status).toBe('completed');
  });

  it('refused once the saga has ended', async () => {
    const run = await startSaga();
    expect((await finish(run)).outcome.status).toBe('completed');
    await expect(
      handleOf(run).executeUpdate(cancelPurchaseUpdate, { args: [{ reason: 'too late' }] }),
    ).rejects.toThrow();
  });
});
