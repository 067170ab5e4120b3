/**
 * The worker is SIGKILLed while the saga is shipping, then a new worker process starts: the
 * saga resumes from its history and finishes with exactly one shipment and one debit.
 * The API answers 202 meanwhile, and the attempt resource tracks the saga to completion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditBalance, Purchase, PurchaseAttempt, PurchasePending } from '../../src/contracts/index.js';
import { ping } from '../../workflows/index.js';
import { http, newKey } from '../support/http.js';
import { assertAllInvariants } from '../support/invariants.js';
import { PlatformControl } from '../support/platform.js';
import { startServiceProcess, type ServiceProcess } from '../support/processes.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';

let stack: TestStack;
let platform: PlatformControl;
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: false, env: { PURCHASE_SYNC_TIMEOUT_MS: '1500' } });
  platform = new PlatformControl(stack.platformUrl);
});
afterAll(async () => {
  for (const w of workers) await w.kill();
  await stack?.close();
});

async function startWorkerProcess(): Promise<ServiceProcess> {
  const worker = startServiceProcess('worker', {
    NODE_ENV: 'test',
    DATABASE_URL: stack.config.databaseUrl ?? '',
    TEMPORAL_ADDRESS: stack.config.temporal.address ?? '',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    PLATFORM_API_URL: stack.platformUrl,
    PLATFORM_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
    // No reconcile-ledger schedule on the run's shared dev server from this test's workers.
    RECONCILE_INTERVAL_MS: '0',
  });
  workers.push(worker);
  // Ready when it has run a workflow end to end.
  await stack.temporal.workflow.execute(ping, {
    taskQueue: stack.taskQueue,
    workflowId: `ping-${newKey()}`,
    args: ['ready?'],
    workflowExecutionTimeout: '60s',
  });
  return worker;
}

describe('worker crash', () => {
  it('SIGKILL of the worker mid-shipment: a new worker finishes the saga, one shipment, one debit', async () => {
    const customerId = await platform.newCustomer();
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
          token: TOKENS.support,
          idempotencyKey: newKey(),
          body: { amount: 10_000, currency: 'USD', reason: 'goodwill' },
        })
      ).status,
    ).toBe(201);
    const first = await startWorkerProcess();
    // CreateShipment takes 2 s on the platform: long enough to kill the worker inside it.
    await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 2000, times: 1 });

    const res = await http<PurchasePending>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('crash'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/purchase-attempts/${res.body.id}`);
    // CreateShipment's first attempt runs as a local activity inside the workflow task, where
    // queries wait for the task; the platform's call counter shows it in flight.
    await until(
      'CreateShipment to be in flight',
      async () => (((await platform.calls()).createShipment ?? 0) >= 1 ? true : null),
      15_000,
    );
    await first.kill('SIGKILL');

    const pending = await http<PurchaseAttempt>('GET', `${stack.apiUrl}/v1/purchase-attempts/${res.body.id}`, {
      token: TOKENS.storefront,
    });
    expect(pending.body).toMatchObject({ status: 'pending' });

    await startWorkerProcess();
    const done = await until(
      'the attempt to complete',
      async () => {
        const a = await http<PurchaseAttempt>('GET', `${stack.apiUrl}/v1/purchase-attempts/${res.body.id}`, {
          token: TOKENS.storefront,
        });
        return a.body.status === 'pending' ? null : a.body;
      },
      45_000,
    );
    expect(done).toMatchObject({ status: 'completed', purchase: { id: res.body.id, total: 2999 } });
    expect(await platform.shipmentsFor(res.body.id)).toHaveLength(1);
    const credit = await http<CreditBalance>('GET', `${stack.apiUrl}/v1/customers/${customerId}/credit`, {
      token: TOKENS.storefront,
    });
    expect(credit.body).toMatchObject({ balance: 10_000 - 2999, held: 0 });
    // A replay of the original request now gets the purchase.
    const purchase = await http<Purchase>('GET', `${stack.apiUrl}/v1/purchases/${res.body.id}`, {
      token: TOKENS.storefront,
    });
    expect(purchase.status).toBe(200);
    await assertAllInvariants(stack);
    // Two worker processes start in this test; on a loaded 2-core machine each start (tsx,
    // the SDK, bundling the workflows) took 20–30 s, more than the default 60 s allows for both.
  }, 180_000);
});
