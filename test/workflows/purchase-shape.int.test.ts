/**
 * The saga's shape on the run's real Temporal dev server, with stubbed activities (the real
 * ones are exercised by src/api/purchases/purchases.int.test.ts): how many round trips and
 * search-attribute writes a purchase costs (issue 8), and that a step that fails becomes
 * visible to operators by `PurchaseStage` before it is retried for good.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Activities } from '../../activities/index.js';
import type { PurchaseContext } from '../../activities/purchase.js';
import { LOCAL_STEPS_PATCH, purchaseProduct, type PurchaseInput, type PurchaseOutcome } from '../../workflows/purchase.js';
import { CustomerIdKey, PurchaseStageKey } from '../../workflows/search-attributes.js';

type Stubbed = Pick<Activities, 'loadPurchaseContext' | 'reserveCredit' | 'createShipment' | 'findShipment' | 'commitPurchase' | 'releaseCredit' | 'recordAttemptFailure'>;

const EventType = proto.temporal.api.enums.v1.EventType;
const taskQueue = `saga-shape-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const calls: Record<string, number> = {};
/** Per purchase id: how many times reserveCredit fails with an infrastructure error first. */
const reserveFailures = new Map<string, number>();
const refuseReserve = new Set<string>();
/**
 * Purchase ids reserved before at another price and shipped to another address: what a step
 * executed again after a worker died sees (the platform changed meanwhile).
 */
const reservedEarlier = new Set<string>();
const SHIPPED_TO = { line1: '9 Old Rd', line2: null, city: 'Shelbyville', postalCode: '54321', country: 'US' };
const commits = new Map<string, Parameters<Activities['commitPurchase']>[0]>();
/** Purchase ids whose first CreateShipment attempt fails (a platform 503). */
const shipmentFailsOnce = new Set<string>();

const CONTEXT: PurchaseContext = {
  customer: { id: 'cus_stub', address: { line1: '1 Main St', line2: null, city: 'Springfield', postalCode: '12345', country: 'US' } },
  product: { id: 'prod_stub', name: 'Stub', unitPrice: 1_000, currency: 'USD', active: true },
};

function count(name: string): void {
  calls[name] = (calls[name] ?? 0) + 1;
}

const activities: Stubbed = {
  loadPurchaseContext() { count('loadPurchaseContext'); return Promise.resolve(CONTEXT); },
  reserveCredit(input) {
    count('reserveCredit');
    if (refuseReserve.has(input.purchaseId)) {
      return Promise.reject(ApplicationFailure.create({ type: 'insufficient_credit', message: 'not enough credit', nonRetryable: true, details: [{}] }));
    }
    if (reservedEarlier.has(input.purchaseId)) return Promise.resolve({ holdId: `hold_${input.purchaseId}`, discount: 0, total: 800, promoCode: null });
    const left = reserveFailures.get(input.purchaseId) ?? 0;
    if (left > 0) {
      reserveFailures.set(input.purchaseId, left - 1);
      return Promise.reject(new Error('connection terminated'));
    }
    return Promise.resolve({ holdId: `hold_${input.purchaseId}`, discount: 0, total: input.subtotal, promoCode: null });
  },
  createShipment(input) {
    count('createShipment');
    if (shipmentFailsOnce.delete(input.purchaseId)) return Promise.reject(ApplicationFailure.retryable('platform answered 503', 'platform_unavailable'));
    if (reservedEarlier.has(input.purchaseId)) return Promise.resolve({ id: `shp_${input.purchaseId}`, status: 'created', address: SHIPPED_TO });
    return Promise.resolve({ id: `shp_${input.purchaseId}`, status: 'created' });
  },
  findShipment() { count('findShipment'); return Promise.resolve(null); },
  commitPurchase(input) {
    count('commitPurchase');
    commits.set(input.purchaseId, input);
    return Promise.resolve({ purchaseId: input.purchaseId });
  },
  releaseCredit() { count('releaseCredit'); return Promise.resolve({ released: true }); },
  recordAttemptFailure() { count('recordAttemptFailure'); return Promise.resolve(); },
};

let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  // The failing stub activities would log a warning per attempt; this file runs in a process of its own.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection: nativeConnection, taskQueue, activities,
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  running = worker.run();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

async function purchase(purchaseId: string): Promise<{ outcome: PurchaseOutcome; events: proto.temporal.api.history.v1.IHistoryEvent[]; stages: string[] }> {
  const input: PurchaseInput = {
    purchaseId, customerId: 'cus_stub', productId: 'prod_stub', quantity: 1, actor: 'test', requestId: null, shipmentBudgetMs: 5_000,
  };
  const handle = await client.workflow.start(purchaseProduct, {
    taskQueue, workflowId: `purchase-${purchaseId}`, args: [input],
    typedSearchAttributes: [{ key: CustomerIdKey, value: 'cus_stub' }, { key: PurchaseStageKey, value: 'started' }],
  });
  const outcome = await handle.result();
  const events = (await handle.fetchHistory()).events ?? [];
  const stages = events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    .flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      // The SDK's own upsert for patch(): TemporalChangeVersion lists the patches a run took.
      return Object.entries(fields).map(([key, payload]) => {
        const value = payload.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) as unknown : null;
        return key === 'PurchaseStage' ? String(value) : `${key}=${JSON.stringify(value)}`;
      });
    });
  return { outcome, events, stages };
}

function ofType(events: proto.temporal.api.history.v1.IHistoryEvent[], type: proto.temporal.api.enums.v1.EventType): number {
  return events.filter((e) => e.eventType === type).length;
}

describe('purchaseProduct (v2 shape)', () => {
  it('a purchase whose platform answers is one workflow task, no activity task and one stage write', async () => {
    const { outcome, events, stages } = await purchase(`pur_shape_${Date.now()}`);
    expect(outcome.status).toBe('completed');
    expect(stages).toEqual([`TemporalChangeVersion=["${LOCAL_STEPS_PATCH}"]`, 'completed']);
    expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0);
    expect(ofType(events, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBe(1);
    // The patch marker, and one marker per local activity: load, reserve, ship, commit.
    expect(ofType(events, EventType.EVENT_TYPE_MARKER_RECORDED)).toBe(5);
  });

  it('a CreateShipment whose first attempt fails shows "shipping" and goes on as a regular activity', async () => {
    const purchaseId = `pur_ship_retry_${Date.now()}`;
    shipmentFailsOnce.add(purchaseId);
    const before = calls.createShipment ?? 0;
    const { outcome, events, stages } = await purchase(purchaseId);
    expect(outcome.status).toBe('completed');
    expect(calls.createShipment! - before).toBe(2);
    expect(stages.slice(1)).toEqual(['shipping', 'completed']);
    expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(1);
  });

  it('a database step that keeps failing shows its stage, then is retried until it succeeds', async () => {
    const purchaseId = `pur_retry_${Date.now()}`;
    reserveFailures.set(purchaseId, 4);
    const before = calls.reserveCredit ?? 0;
    const { outcome, stages } = await purchase(purchaseId);
    expect(outcome.status).toBe('completed');
    expect(calls.reserveCredit! - before).toBe(5);
    expect(stages.slice(1)).toEqual(['reserving', 'completed']);
  });

  it('commits the reserved terms and the shipment\'s address when they differ from what was read', async () => {
    const purchaseId = `pur_reexec_${Date.now()}`;
    reservedEarlier.add(purchaseId);
    const { outcome } = await purchase(purchaseId);
    expect(outcome.status).toBe('completed');
    expect(commits.get(purchaseId)).toMatchObject({ unitPrice: 800, subtotal: 800, discount: 0, total: 800, address: SHIPPED_TO });
  });

  it('a business refusal is final at once: no retry, no shipment, stage failed', async () => {
    const purchaseId = `pur_refused_${Date.now()}`;
    refuseReserve.add(purchaseId);
    const reserveBefore = calls.reserveCredit ?? 0;
    const shipBefore = calls.createShipment ?? 0;
    const { outcome, stages } = await purchase(purchaseId);
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') expect(outcome.error.code).toBe('insufficient_credit');
    expect(calls.reserveCredit! - reserveBefore).toBe(1);
    expect(calls.createShipment ?? 0).toBe(shipBefore);
    expect(stages.slice(1)).toEqual(['failed']);
  });
});
