/**
 * The worker is SIGKILLed while it delivers webhooks (the receiver answers slowly, so an
 * attempt is in flight), more events commit while no worker runs, then a new worker process
 * starts: every event reaches the receiver, in sequence order, and the only repeats are
 * redeliveries with the same webhook-id and body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDeliveryList, WebhookEndpointCreated } from '../../src/contracts/index.js';
import type { EventRecord } from '../../src/db/events-repository.js';
import { ping } from '../../workflows/index.js';
import { appendTestEvent } from '../support/events.js';
import { http, newKey } from '../support/http.js';
import { assertAllInvariants } from '../support/invariants.js';
import { startServiceProcess, type ServiceProcess } from '../support/processes.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

let stack: TestStack;
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: false });
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
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '0',
    // A 3 s attempt (8 s with recording: how long a killed attempt takes to be retried), short backoffs.
    WEBHOOK_TIMEOUT_MS: '3000',
    WEBHOOK_RETRY_INITIAL_MS: '200',
    WEBHOOK_RETRY_MAX_INTERVAL_MS: '1000',
    WEBHOOK_POLL_INTERVAL_MS: '3000',
  });
  workers.push(worker);
  await stack.temporal.workflow.execute(ping, {
    taskQueue: stack.taskQueue,
    workflowId: `ping-${newKey()}`,
    args: ['ready?'],
    workflowExecutionTimeout: '90s',
  });
  return worker;
}

describe('webhook delivery across a worker crash', () => {
  it('SIGKILL mid-delivery: nothing lost, order kept, repeats only with the same webhook-id', async () => {
    const first = await startWorkerProcess();
    const receiver = new WebhookReceiver(stack.platformUrl);
    const created = await http<WebhookEndpointCreated>('POST', `${stack.apiUrl}/v1/webhook-endpoints`, {
      token: TOKENS.admin,
      body: { url: receiver.url, types: ['credit.granted'] },
    });
    expect(created.status).toBe(201);
    const ep = created.body;
    // Each delivery takes 1.5 s to be answered: the kill lands inside one.
    await receiver.configure({ secrets: [ep.secret], mode: 'slow', delayMs: 1500 });
    const events: EventRecord[] = [];
    for (let i = 0; i < 10; i += 1) events.push(await appendTestEvent(stack, 'credit.granted', { i }));
    await until(
      'the third delivery in flight',
      async () => ((await receiver.received()).length >= 3 ? true : null),
      60_000,
      50,
    );
    await first.kill('SIGKILL');
    const atKill = (await receiver.received()).length;
    expect(atKill).toBeLessThan(events.length);

    // Events keep committing while no worker runs.
    for (let i = 0; i < 5; i += 1) events.push(await appendTestEvent(stack, 'credit.granted', { after: i }));
    await receiver.configure({ secrets: [ep.secret], mode: 'ok' });
    await startWorkerProcess();

    const accepted = await until(
      'every event at the receiver',
      async () => {
        const got = await receiver.accepted();
        const ids = new Set(got.map((r) => r.webhookId));
        return events.every((e) => ids.has(e.id)) ? got : null;
      },
      90_000,
      200,
    );
    const firsts: string[] = [];
    const bodies = new Map<string, string>();
    for (const r of accepted) {
      const id = r.webhookId ?? '';
      if (bodies.has(id)) expect(JSON.stringify(r.body)).toBe(bodies.get(id));
      else {
        bodies.set(id, JSON.stringify(r.body));
        firsts.push(id);
      }
    }
    expect(firsts).toEqual(events.map((e) => e.id));
    expect(accepted.every((r) => r.verified)).toBe(true);
    const log = await http<WebhookDeliveryList>(
      'GET',
      `${stack.apiUrl}/v1/webhook-endpoints/${ep.id}/deliveries?limit=100`,
      { token: TOKENS.admin },
    );
    const succeeded = log.body.data.filter((d) => d.succeeded).map((d) => d.eventId);
    expect(new Set(succeeded)).toEqual(new Set(events.map((e) => e.id)));
    const duplicates = accepted.length - events.length;
    // Reported by the test run: how many redeliveries the crash caused.
    console.log(
      `webhook worker crash: ${events.length} events, ${accepted.length} accepted deliveries (${duplicates} repeated), killed after ${atKill} received`,
    );
    await assertAllInvariants(stack);
  }, 240_000);
});
