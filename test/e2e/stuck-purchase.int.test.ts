/**
 * A saga that cannot finish (the platform refuses every CreateShipment, and the retry budget
 * is two minutes) is visible and can be resolved, exactly as docs/operations.md tells an
 * operator: a visibility query by `PurchaseStage` lists it, `describe` shows the last failure,
 * the `status` query shows where it waits, and the `cancelPurchase` update — sent with the
 * `temporal` CLI command of the runbook — compensates it. Invariants hold afterwards.
 * What the update does elsewhere (refused without a reason, in verifying_shipment, too late
 * once the shipment exists) is covered in skipped time by workflows/purchase.test.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { CreditBalance, PurchaseAttempt, PurchasePending } from '../../src/contracts/index.js';
import { holdIdFor } from '../../src/domain/purchase.js';
import { findTemporalCli } from '../../src/dev/temporal-server.js';
import { statusQuery } from '../../workflows/index.js';
import { http, newKey } from '../support/http.js';
import type { PlatformControl } from '../support/platform.js';
import { TOKENS, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';
import { useStack } from '../support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack({ env: { SHIPMENT_RETRY_BUDGET_MS: '120000', PURCHASE_SYNC_TIMEOUT_MS: '1500' } }, (started, control) => {
  stack = started;
  platform = control;
});

async function funded(amount: number): Promise<string> {
  const customerId = await platform.newCustomer();
  const res = await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
    token: TOKENS.support,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
  return customerId;
}

/** Workflow ids a visibility query returns (the dev server's visibility is eventually consistent: callers poll). */
async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of stack.temporal.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
}

async function credit(customerId: string): Promise<CreditBalance> {
  return (
    await http<CreditBalance>('GET', `${stack.apiUrl}/v1/customers/${customerId}/credit`, { token: TOKENS.storefront })
  ).body;
}

describe('stuck purchases', () => {
  it("platform down: the saga is found by PurchaseStage, explained, and cancelled with the runbook's CLI command", async () => {
    const customerId = await funded(10_000);
    await platform.fault({ operation: 'createShipment', mode: 'error', status: 503, times: -1 });
    const res = await http<PurchasePending>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('stuck'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(res.status).toBe(202);
    const workflowId = `purchase-${res.body.id}`;

    // Find it as the runbook does.
    const query = `PurchaseStage="shipping" AND ExecutionStatus="Running" AND CustomerId="${customerId}"`;
    expect(
      await until(
        'the saga in a visibility query',
        async () => {
          const ids = await listIds(query);
          return ids.includes(workflowId) ? ids : null;
        },
        20_000,
      ),
    ).toEqual([workflowId]);

    // See why: the status query and the pending activity's last failure.
    const handle = stack.temporal.workflow.getHandle(workflowId);
    expect(await handle.query(statusQuery)).toMatchObject({
      stage: 'shipping',
      outcome: 'pending',
      holdId: holdIdFor(res.body.id),
      total: 2999,
    });
    const pending = await until(
      'a failed CreateShipment attempt',
      async () => {
        const activity = (await handle.describe()).raw.pendingActivities?.find(
          (a) => a.activityType?.name === 'createShipment',
        );
        return activity?.lastFailure?.message ? activity : null;
      },
      15_000,
    );
    expect(pending.lastFailure?.message).toMatch(/503/);
    expect(Number(pending.attempt)).toBeGreaterThanOrEqual(1);
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 2999 });

    // Act: the documented command.
    const cli = findTemporalCli();
    expect(cli).not.toBeNull();
    // Asynchronously: the worker that must run the update lives in this process.
    const result = await promisify(execFile)(
      cli ?? 'temporal',
      [
        'workflow',
        'update',
        'execute',
        '--address',
        stack.config.temporal.address ?? '',
        '--namespace',
        stack.config.temporal.namespace,
        '--workflow-id',
        workflowId,
        '--name',
        'cancelPurchase',
        '--input',
        '{"reason":"platform outage INC-42","actor":"ops-alice"}',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stdout).toContain('failed');

    const outcome: unknown = await handle.result();
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'purchase_cancelled', status: 409, reason: 'platform outage INC-42', shipmentVerified: true },
    });
    expect((outcome as { error: { detail: string } }).error.detail).toContain('ops-alice');
    const attempt = await http<PurchaseAttempt>('GET', `${stack.apiUrl}/v1/purchase-attempts/${res.body.id}`, {
      token: TOKENS.storefront,
    });
    expect(attempt.body).toMatchObject({ status: 'failed', stage: 'failed', error: { code: 'purchase_cancelled' } });
    expect(await credit(customerId)).toMatchObject({ balance: 10_000, held: 0, available: 10_000 });
    const hold = await stack.database.db.execute(
      sql`select status, resolution from credit_holds where purchase_id = ${res.body.id}`,
    );
    expect((Array.isArray(hold) ? hold : (hold as { rows: unknown[] }).rows)[0]).toEqual({
      status: 'released',
      resolution: 'purchase_cancelled',
    });
    expect(await platform.shipmentsFor(res.body.id)).toEqual([]);
    // A replay of the request now gets the final answer.
    await until(
      'the workflow to leave the stuck list',
      async () => ((await listIds(query)).length === 0 ? true : null),
      20_000,
    );
  });
});
