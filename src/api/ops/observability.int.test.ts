/**
 * What dashboards and log searches see after real purchases: `/metrics` (prom-client, one
 * registry for this stack's API and worker) with the saga's outcomes, the Temporal SDK's own
 * worker metrics on TEMPORAL_METRICS_PORT, and JSON logs in which one purchase's lines —
 * API, workflow, activities — share the request id, and no token appears.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Purchase } from '../../contracts/index.js';
import { createLogger } from '../../logger.js';
import { freePort } from '../../dev/temporal-server.js';
import { http, newKey } from '../../../test/support/http.js';
import { assertAllInvariants } from '../../../test/support/invariants.js';
import { PlatformControl } from '../../../test/support/platform.js';
import { startStack, TOKENS, type TestStack } from '../../../test/support/stack.js';

let stack: TestStack;
let platform: PlatformControl;
let temporalMetricsPort: number;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  temporalMetricsPort = await freePort();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  stack = await startStack({
    logger: createLogger('debug', 'purchase-ledger', sink),
    env: {
      TEMPORAL_METRICS_PORT: String(temporalMetricsPort),
      SHIPMENT_RETRY_BUDGET_MS: '3000',
      PURCHASE_SYNC_TIMEOUT_MS: '15000',
    },
  });
  platform = new PlatformControl(stack.platformUrl);
});
afterAll(async () => {
  await stack?.close();
});

async function metricsText(): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** The value of one sample, e.g. `ledger_purchases_total{outcome="completed",code="none"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      (match[3] ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => {
          const [k, v] = kv.split('=');
          return [k ?? '', (v ?? '').replace(/^"|"$/g, '')];
        }),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[4]);
  }
  return null;
}

describe('observability', () => {
  it('/metrics after a purchase, a refund, a rejected shipment and a grant', async () => {
    const customerId = await platform.newCustomer();
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
          token: TOKENS.support,
          idempotencyKey: newKey('grant'),
          body: { amount: 10_000, currency: 'USD', reason: 'goodwill' },
        })
      ).status,
    ).toBe(201);
    const bought = await http<Purchase>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('buy'),
      body: { customerId, productId: 'prod_cable' },
    });
    expect(bought.status).toBe(201);
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/purchases/${bought.body.id}/refunds`, {
          token: TOKENS.support,
          idempotencyKey: newKey('refund'),
          body: { amount: 100, reason: 'damaged' },
        })
      ).status,
    ).toBe(201);
    // cus_noaddr has no postal code: the platform rejects the shipment and the hold is released.
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/customers/cus_noaddr/credit/grants`, {
          token: TOKENS.support,
          idempotencyKey: newKey('grant'),
          body: { amount: 5_000, currency: 'USD', reason: 'goodwill' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/purchases`, {
          token: TOKENS.storefront,
          idempotencyKey: newKey('buy'),
          body: { customerId: 'cus_noaddr', productId: 'prod_cable' },
        })
      ).status,
    ).toBe(502);

    const text = await metricsText();
    expect(sample(text, 'ledger_purchases_total', { outcome: 'completed', code: 'none' })).toBe(1);
    expect(sample(text, 'ledger_purchases_total', { outcome: 'failed', code: 'shipment_failed' })).toBe(1);
    expect(sample(text, 'ledger_purchase_saga_duration_seconds_count', { outcome: 'completed' })).toBe(1);
    expect(sample(text, 'ledger_purchase_saga_duration_seconds_count', { outcome: 'failed' })).toBe(1);
    expect(sample(text, 'ledger_shipment_attempts_total', { result: 'created' })).toBe(1);
    expect(sample(text, 'ledger_shipment_attempts_total', { result: 'rejected' })).toBe(1);
    expect(sample(text, 'ledger_compensations_total', { reason: 'shipment_rejected' })).toBe(1);
    expect(sample(text, 'ledger_refunds_total', { outcome: 'completed' })).toBe(1);
    expect(sample(text, 'ledger_credit_movements_total', { type: 'grant', currency: 'USD' })).toBe(2);
    expect(sample(text, 'ledger_credit_movements_total', { type: 'purchase', currency: 'USD' })).toBe(1);
    expect(sample(text, 'ledger_credit_movements_total', { type: 'refund', currency: 'USD' })).toBe(1);
    expect(sample(text, 'ledger_credit_movement_amount_total', { type: 'grant', currency: 'USD' })).toBe(15_000);
    expect(
      sample(text, 'ledger_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/purchases',
        status: '201',
      }),
    ).toBe(1);
    expect(
      sample(text, 'ledger_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/customers/:customerId/credit/grants',
        status: '201',
      }),
    ).toBe(2);
    expect(text).toContain('ledger_process_cpu_user_seconds_total');
    expect(text).toContain('# TYPE ledger_platform_cache_requests_total counter');

    // The Temporal SDK's own metrics, on their own port.
    const sdk = await (await fetch(`http://127.0.0.1:${temporalMetricsPort}/metrics`)).text();
    expect(sdk).toMatch(/temporal_workflow_completed_total\{[^}]*workflow_type="purchaseProduct"/);
    expect(sdk).toMatch(/temporal_activity_execution_latency/);
    await assertAllInvariants(stack);
  });

  it("one purchase's log lines share one request id from the API to the activities; no token is logged", async () => {
    const customerId = await platform.newCustomer();
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
          token: TOKENS.support,
          idempotencyKey: newKey('grant'),
          body: { amount: 10_000, currency: 'USD', reason: 'goodwill' },
        })
      ).status,
    ).toBe(201);
    const requestId = `req-logs-${Date.now()}`;
    const res = await http<Purchase>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('buy'),
      body: { customerId, productId: 'prod_mouse' },
      headers: { 'x-request-id': requestId },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    await new Promise((r) => setTimeout(r, 300));

    const mine = lines.filter((l) => l.requestId === requestId);
    // The API's access log line.
    expect(mine).toContainEqual(
      expect.objectContaining({ msg: 'request', method: 'POST', path: '/v1/purchases', status: 201 }),
    );
    // The workflow's lines (Temporal's workflow logger) and every activity of the saga.
    expect(mine).toContainEqual(
      expect.objectContaining({ msg: 'Workflow completed', workflowId: `purchase-${res.body.id}` }),
    );
    const activities = new Set(
      mine.filter((l) => l.sdkComponent === 'activity' || l.activityType).map((l) => l.activityType),
    );
    for (const type of ['loadAndReserve', 'shipAndCommit']) expect(activities).toContain(type);
    // Every workflow and activity line of this purchase carries the id — except the SDK's own
    // debug "started" lines, written before any interceptor has seen the input.
    const sagaLines = lines.filter(
      (l) => l.workflowId === `purchase-${res.body.id}` && l.msg !== 'Workflow started' && l.msg !== 'Activity started',
    );
    expect(sagaLines.length).toBeGreaterThan(0);
    expect(sagaLines.filter((l) => l.requestId !== requestId)).toEqual([]);

    const everything = JSON.stringify(lines);
    for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token);
    expect(everything).not.toContain('taskToken');
  });
});
