/**
 * Reconciliation cancels shipments of failed purchase attempts (RELIABILITY.md, finding 2), on
 * the real stack: Postgres, Temporal, platform-mock over HTTP.
 *
 * - End to end: CreateShipment is held past the client's timeout, the retry is refused with
 *   400, the saga compensates (502) and then the held call creates the shipment; the next run
 *   cancels it and reports it once.
 * - Planted cases: a completed purchase's shipment is never cancelled (not even when its
 *   attempt row says failed); a refused cancel (already shipped) is an error for a human; a
 *   platform blip on the cancel is retried; attempts outside the look-back are left alone; a
 *   customer past the last account (no credit account) is still covered.
 * Small batches (2 accounts) so every run walks several keyset batches.
 */
import { sql, type SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type {
  Purchase,
  ReconciliationFinding,
  ReconciliationRun,
  ReconciliationRunPending,
} from '../../contracts/index.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { type PlatformShipmentRecord } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { until } from '../../../test/support/wait.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack(
  {
    env: {
      RECONCILE_BATCH_SIZE: '2',
      // The stack's platform timeout is 2 s; the held call below waits 4 s.
      PLATFORM_TIMEOUT_MS: '2000',
      RECONCILE_FAILED_ATTEMPT_LOOKBACK_MS: String(24 * 60 * 60_000),
    },
  },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

const url = (path: string): string => `${stack.apiUrl}${path}`;
const ADDRESS = { line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' };

async function exec(query: SQL): Promise<Record<string, unknown>[]> {
  const result = await stack.database.db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

/** platform-mock's own API and control endpoints, for what PlatformControl does not cover. */
async function platformCall<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.platformUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function shipmentOf(purchaseId: string): Promise<PlatformShipmentRecord | undefined> {
  const found = await platform.shipmentsFor(purchaseId);
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0];
}

async function funded(amount: number): Promise<string> {
  const customerId = await platform.newCustomer();
  const res = await http('POST', url(`/v1/customers/${customerId}/credit/grants`), {
    token: TOKENS.support,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
  return customerId;
}

async function credit(customerId: string): Promise<{ balance: number; held: number }> {
  const [row] = await exec(sql`select balance, held from credit_accounts where customer_id = ${customerId}`);
  return { balance: Number(row?.balance), held: Number(row?.held) };
}

/**
 * A failed attempt as the saga leaves it after a shipping failure, planted directly: the attempt
 * row (failed, shipment_failed) and, on the platform, the shipment the held call created.
 */
async function plantOrphan(
  customerId: string,
  options: { createdAgo?: string; productId?: string } = {},
): Promise<{ purchaseId: string; shipmentId: string }> {
  const purchaseId = `pur_ORPHAN${Date.now()}${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  const productId = options.productId ?? 'prod_cable';
  const error = {
    type: 'https://errors.example/shipment_failed',
    title: 'Shipment failed',
    status: 502,
    code: 'shipment_failed',
    detail: 'planted',
  };
  await exec(sql`insert into purchase_attempts (id, customer_id, product_id, quantity, status, error, workflow_id, actor, created_at, finished_at)
                 values (${purchaseId}, ${customerId}, ${productId}, 1, 'failed', ${JSON.stringify(error)}::jsonb, ${`purchase-${purchaseId}`}, 'web',
                         now() - ${options.createdAgo ?? '1 minute'}::interval, now() - ${options.createdAgo ?? '1 minute'}::interval)`);
  const created = await platformCall<{ id: string }>(
    'POST',
    '/shipments',
    { customerId, productId, quantity: 1, address: ADDRESS },
    { 'idempotency-key': purchaseId },
  );
  expect(created.status).toBe(201);
  return { purchaseId, shipmentId: created.body.id };
}

/** POST a run; a 202 (still running at the sync deadline) is followed up with GETs. */
async function reconcile(): Promise<ReconciliationRun> {
  const res = await http<ReconciliationRun | ReconciliationRunPending>('POST', url('/v1/reconciliation/runs'), {
    token: TOKENS.admin,
  });
  expect([201, 202], JSON.stringify(res.body)).toContain(res.status);
  const run =
    res.status === 201
      ? (res.body as ReconciliationRun)
      : await until(
          'the run to finish',
          async () => {
            const got = await http<ReconciliationRun>('GET', url(`/v1/reconciliation/runs/${res.body.id}`), {
              token: TOKENS.admin,
            });
            return got.body.status === 'running' ? null : got.body;
          },
          60_000,
        );
  expect(run.status, JSON.stringify(run)).toBe('completed');
  return run;
}

function about(run: ReconciliationRun, purchaseId: string): ReconciliationFinding[] {
  return run.findings.filter((f) => f.entity === `purchase:${purchaseId}`);
}

describe('reconciliation: shipments of failed purchase attempts', () => {
  it('a 4xx after an ambiguous CreateShipment: the purchase fails, the held call ships, the next run cancels it once', async () => {
    const customerId = await funded(10_000);
    await platform.resetCalls();
    // The first call is held 4 s (the client gives up at 2 s) and then performed; the retry with
    // the same Idempotency-Key is refused with 400, which the saga takes as final.
    await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 4000, times: 1 });
    await platform.fault({ operation: 'createShipment', mode: 'reject', status: 400, times: 1 });
    const key = newKey('buy');
    const started = Date.now();
    const res = await http<{ code: string }>('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: key,
      body: { customerId, productId: 'prod_mouse' },
    });
    const answeredMs = Date.now() - started;
    expect(res.status, JSON.stringify(res.body)).toBe(502);
    expect(res.body.code).toBe('shipment_failed');
    const [row] = await exec(sql`select resource_id from idempotency_keys where key = ${key}`);
    const purchaseId = String(row?.resource_id);
    expect(await credit(customerId)).toEqual({ balance: 10_000, held: 0 });

    // The held call lands after the saga compensated: a live shipment for a failed purchase.
    const held = await until(
      'the held CreateShipment to create the shipment',
      async () => (await shipmentOf(purchaseId)) ?? null,
      15_000,
    );
    console.info(
      `[orphan] purchase answered 502 after ${answeredMs} ms; the held call created ${held.id} after ${Date.now() - started} ms`,
    );
    expect(held).toMatchObject({ status: 'created', customerId, productId: 'prod_mouse', quantity: 1 });
    const [attempt] = await exec(sql`select a.status, a.error->>'code' as code, h.status as hold, h.resolution
                                     from purchase_attempts a join credit_holds h on h.purchase_id = a.id where a.id = ${purchaseId}`);
    expect(attempt).toEqual({
      status: 'failed',
      code: 'shipment_failed',
      hold: 'released',
      resolution: 'shipment_rejected',
    });

    const runStarted = Date.now();
    const first = await reconcile();
    console.info(
      `[orphan] first run ${first.id}: ${Date.now() - runStarted} ms, ${first.counts.accounts} accounts, findings ${JSON.stringify(first.findings.map((f) => f.kind))}`,
    );
    expect(first.findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        kind: 'orphan_shipment_cancelled',
        entity: `purchase:${purchaseId}`,
        expected: null,
        actual: held.id,
        detail: expect.stringContaining(customerId) as unknown,
      }),
    ]);
    expect(first.counts).toMatchObject({ errors: 0, warnings: 1, holdsReleased: 0 });
    expect(await shipmentOf(purchaseId)).toMatchObject({ id: held.id, status: 'cancelled' });
    // Money: untouched by all of it.
    expect(await credit(customerId)).toEqual({ balance: 10_000, held: 0 });

    // A second run finds nothing new: the cancelled shipment is the end state.
    const second = await reconcile();
    expect(second.findings).toEqual([]);
    expect(await shipmentOf(purchaseId)).toMatchObject({ id: held.id, status: 'cancelled' });
    const calls = await platform.calls();
    expect(calls.cancelShipment).toBe(1);
  });

  it("never cancels a completed purchase's shipment, not even when its attempt row says failed", async () => {
    const customerId = await funded(10_000);
    const res = await http<Purchase>('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: newKey('buy'),
      body: { customerId, productId: 'prod_cable' },
    });
    expect(res.status).toBe(201);
    const purchase = res.body;
    await platform.resetCalls();

    // The ordinary case: a completed purchase is not a candidate at all.
    const clean = await reconcile();
    expect(about(clean, purchase.id)).toEqual([]);

    // A contradiction planted in the books: the attempt of a committed purchase marked failed.
    await exec(
      sql`update purchase_attempts set status = 'failed', error = '{"code":"shipment_failed"}'::jsonb where id = ${purchase.id}`,
    );
    try {
      const run = await reconcile();
      expect(about(run, purchase.id)).toEqual([
        expect.objectContaining({
          severity: 'error',
          kind: 'orphan_shipment_not_cancelled',
          actual: purchase.shipment.id,
          detail: expect.stringContaining('a purchase with this id is committed') as unknown,
        }),
      ]);
    } finally {
      await exec(sql`update purchase_attempts set status = 'completed', error = null where id = ${purchase.id}`);
    }
    expect(await shipmentOf(purchase.id)).toMatchObject({ id: purchase.shipment.id, status: 'created' });
    expect((await platform.calls()).cancelShipment).toBe(0);
  });

  it('a shipment that has already shipped: the refused cancel is an error finding, reported again until resolved', async () => {
    const customerId = await funded(1_000);
    const { purchaseId, shipmentId } = await plantOrphan(customerId);
    expect((await platformCall('POST', `/__control/shipments/${shipmentId}/ship`)).status).toBe(200);
    try {
      const run = await reconcile();
      expect(about(run, purchaseId)).toEqual([
        expect.objectContaining({
          severity: 'error',
          kind: 'orphan_shipment_cancel_refused',
          expected: null,
          actual: shipmentId,
          detail: expect.stringContaining('shipment_not_cancellable') as unknown,
        }),
      ]);
      expect(await shipmentOf(purchaseId)).toMatchObject({ status: 'shipped' });
      // Not silently dropped: the next run says it again.
      expect(about(await reconcile(), purchaseId)).toEqual([
        expect.objectContaining({ kind: 'orphan_shipment_cancel_refused' }),
      ]);
    } finally {
      // What a human would settle with the platform team; here the planted attempt goes, so the
      // invariants of the file (no live shipment for a failed attempt) hold again.
      await exec(sql`delete from purchase_attempts where id = ${purchaseId}`);
    }
  });

  it('a platform blip on the cancel is retried in the run; a longer outage is reported and the next run cancels', async () => {
    const customerId = await funded(1_000);
    const blip = await plantOrphan(customerId);
    await platform.resetCalls();
    await platformCall('POST', '/__control/faults', {
      operation: 'cancelShipment',
      mode: 'error',
      status: 503,
      times: 1,
    });
    const first = await reconcile();
    expect(about(first, blip.purchaseId)).toEqual([
      expect.objectContaining({ kind: 'orphan_shipment_cancelled', actual: blip.shipmentId }),
    ]);
    expect((await platform.calls()).cancelShipment).toBe(2);
    expect(await shipmentOf(blip.purchaseId)).toMatchObject({ status: 'cancelled' });

    const outage = await plantOrphan(customerId);
    await platformCall('POST', '/__control/faults', {
      operation: 'cancelShipment',
      mode: 'error',
      status: 503,
      times: -1,
    });
    const second = await reconcile();
    expect(about(second, outage.purchaseId)).toEqual([
      expect.objectContaining({ severity: 'warning', kind: 'orphan_shipment_check_failed', actual: outage.shipmentId }),
    ]);
    expect(about(second, blip.purchaseId)).toEqual([]);
    expect(await shipmentOf(outage.purchaseId)).toMatchObject({ status: 'created' });
    await platform.clearFaults();
    const third = await reconcile();
    expect(third.findings).toEqual([
      expect.objectContaining({ kind: 'orphan_shipment_cancelled', entity: `purchase:${outage.purchaseId}` }),
    ]);
    expect(await shipmentOf(outage.purchaseId)).toMatchObject({ status: 'cancelled' });
  });

  it('bounded: attempts older than the look-back are left alone; a customer past the last account is still covered', async () => {
    const customerId = await funded(1_000);
    const old = await plantOrphan(customerId, { createdAgo: '2 days' });
    // A free purchase needs no credit account: this customer sorts after every account.
    const lateCustomer = `cus_zzzz${Date.now()}`;
    expect(
      (
        await platformCall('POST', '/customers', {
          id: lateCustomer,
          name: 'Zed Last',
          email: 'zed.last@example.com',
          address: ADDRESS,
        })
      ).status,
    ).toBe(201);
    const late = await plantOrphan(lateCustomer);
    try {
      const run = await reconcile();
      expect(about(run, old.purchaseId)).toEqual([]);
      expect(await shipmentOf(old.purchaseId)).toMatchObject({ status: 'created' });
      expect(about(run, late.purchaseId)).toEqual([
        expect.objectContaining({ kind: 'orphan_shipment_cancelled', actual: late.shipmentId }),
      ]);
      expect(await shipmentOf(late.purchaseId)).toMatchObject({ status: 'cancelled' });
    } finally {
      // Outside the window is a human's business; leave the books as the invariants expect.
      await platformCall('POST', `/shipments/${old.shipmentId}/cancel`);
    }
  });

  it("a shipment under a failed attempt's key for another customer is not cancelled", async () => {
    const customerId = await funded(1_000);
    const other = await platform.newCustomer();
    const purchaseId = `pur_FOREIGN${Date.now()}`;
    await exec(sql`insert into purchase_attempts (id, customer_id, product_id, quantity, status, error, workflow_id, actor, finished_at)
                   values (${purchaseId}, ${customerId}, 'prod_cable', 1, 'failed', '{"code":"shipment_failed"}'::jsonb, ${`purchase-${purchaseId}`}, 'web', now())`);
    const created = await platformCall<{ id: string }>(
      'POST',
      '/shipments',
      { customerId: other, productId: 'prod_cable', quantity: 1, address: ADDRESS },
      { 'idempotency-key': purchaseId },
    );
    try {
      const run = await reconcile();
      expect(about(run, purchaseId)).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'orphan_shipment_not_cancelled', actual: created.body.id }),
      ]);
      expect(await shipmentOf(purchaseId)).toMatchObject({ status: 'created' });
    } finally {
      await exec(sql`delete from purchase_attempts where id = ${purchaseId}`);
    }
  });
});
