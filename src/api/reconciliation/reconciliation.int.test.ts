/**
 * Reconciliation on the real stack: a clean ledger reports nothing; each kind of corruption,
 * planted directly in the database (triggers disabled where the table is append-only), is
 * reported with the right finding and then repaired; orphaned holds are released (no
 * workflow, a terminated one), a hold of a still-running saga is only reported.
 * Small batches (2 accounts) so every run walks several keyset batches.
 */
import { sql, type SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type {
  Purchase,
  ReconciliationFinding,
  ReconciliationRun,
  ReconciliationRunList,
  ReconciliationRunPending,
} from '../../contracts/index.js';
import { holdIdFor } from '../../domain/purchase.js';
import { newId } from '../../domain/ids.js';
import { reconcileLedger, statusQuery } from '../../../workflows/index.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { until } from '../../../test/support/wait.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack(
  {
    env: {
      RECONCILE_BATCH_SIZE: '2',
      RECONCILE_HOLD_AGE_MS: '1500',
      SHIPMENT_RETRY_BUDGET_MS: '120000',
      PURCHASE_SYNC_TIMEOUT_MS: '5000',
    },
  },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

const url = (path: string): string => `${stack.apiUrl}${path}`;

async function exec(query: SQL): Promise<Record<string, unknown>[]> {
  const result = await stack.database.db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

/** Runs `fn` with the append-only triggers of `table` off: how a test plants the impossible. */
async function withTriggersOff(
  table: 'ledger_entries' | 'refunds' | 'purchases',
  fn: () => Promise<void>,
): Promise<void> {
  await exec(sql.raw(`ALTER TABLE ${table} DISABLE TRIGGER USER`));
  try {
    await fn();
  } finally {
    await exec(sql.raw(`ALTER TABLE ${table} ENABLE TRIGGER USER`));
  }
}

async function grant(customerId: string, amount: number): Promise<void> {
  const res = await http('POST', url(`/v1/customers/${customerId}/credit/grants`), {
    token: TOKENS.support,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
}

async function funded(amount: number): Promise<string> {
  const customerId = await platform.newCustomer();
  await grant(customerId, amount);
  return customerId;
}

async function buy(customerId: string, productId = 'prod_cable'): Promise<Purchase> {
  const res = await http<Purchase>('POST', url('/v1/purchases'), {
    token: TOKENS.storefront,
    idempotencyKey: newKey('buy'),
    body: { customerId, productId },
  });
  expect(res.status).toBe(201);
  return res.body;
}

/** POST a run; a 202 (still running at the sync deadline) is followed up with GETs. */
async function reconcile(): Promise<ReconciliationRun> {
  const res = await http<ReconciliationRun | ReconciliationRunPending>('POST', url('/v1/reconciliation/runs'), {
    token: TOKENS.admin,
  });
  expect([201, 202], JSON.stringify(res.body)).toContain(res.status);
  expect(res.headers.get('location')).toBe(`/v1/reconciliation/runs/${res.body.id}`);
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
          30_000,
        );
  expect(run.status).toBe('completed');
  return run;
}

function about(run: ReconciliationRun, entity: string): ReconciliationFinding[] {
  return run.findings.filter((f) => f.entity === entity);
}

describe('reconciliation', () => {
  it('a clean ledger (grants, purchases, a refund, a failed purchase): no findings, everything counted', async () => {
    const a = await funded(10_000);
    const b = await funded(20_000);
    const c = await funded(5_000);
    const p1 = await buy(a);
    await buy(b, 'prod_mouse');
    const refund = await http('POST', url(`/v1/purchases/${p1.id}/refunds`), {
      token: TOKENS.support,
      idempotencyKey: newKey('refund'),
      body: { amount: 300, reason: 'damaged' },
    });
    expect(refund.status).toBe(201);
    // A refused purchase leaves a released hold behind: not a finding.
    const refused = await http('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: newKey('buy'),
      body: { customerId: c, productId: 'prod_monitor' },
    });
    expect(refused.status).toBe(409);

    const run = await reconcile();
    expect(run.findings).toEqual([]);
    expect(run).toMatchObject({
      trigger: 'manual',
      actor: 'root',
      findingCount: 0,
      error: null,
      workflowId: `reconcile-${run.id}`,
    });
    expect(run.counts).toMatchObject({
      accounts: 3,
      entries: 6,
      purchases: 2,
      refunds: 1,
      shipmentsChecked: 2,
      holdsReleased: 0,
      errors: 0,
      warnings: 0,
    });
    expect(run.finishedAt).not.toBeNull();

    const got = await http<ReconciliationRun>('GET', url(`/v1/reconciliation/runs/${run.id}`), { token: TOKENS.admin });
    expect(got.body).toEqual(run);
  });

  it('balance and held that disagree with the entries and holds: balance_mismatch, held_mismatch', async () => {
    const customerId = await funded(10_000);
    await exec(
      sql`update credit_accounts set balance = balance + 100, held = held + 40 where customer_id = ${customerId}`,
    );
    try {
      const findings = about(await reconcile(), `account:${customerId}`);
      expect(findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ severity: 'error', kind: 'balance_mismatch', expected: 10_000, actual: 10_100 }),
          expect.objectContaining({ severity: 'error', kind: 'held_mismatch', expected: 0, actual: 40 }),
        ]),
      );
      expect(findings).toHaveLength(2);
    } finally {
      await exec(
        sql`update credit_accounts set balance = balance - 100, held = held - 40 where customer_id = ${customerId}`,
      );
    }
  });

  it('an edited balance_after: balance_chain_broken at that entry and the next, hash_chain_broken at that entry', async () => {
    const customerId = await funded(10_000);
    await grant(customerId, 500);
    const [first, second] = await exec(
      sql`select id from ledger_entries where customer_id = ${customerId} order by account_version`,
    );
    await withTriggersOff('ledger_entries', async () => {
      await exec(sql`update ledger_entries set balance_after = balance_after + 7 where id = ${String(first?.id)}`);
    });
    try {
      const run = await reconcile();
      expect(about(run, `entry:${String(first?.id)}`)).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'balance_chain_broken', expected: 10_000, actual: 10_007 }),
        expect.objectContaining({ severity: 'error', kind: 'hash_chain_broken', actual: 1 }),
      ]);
      expect(about(run, `entry:${String(second?.id)}`)).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'balance_chain_broken', expected: 10_507, actual: 10_500 }),
      ]);
      expect(about(run, `account:${customerId}`)).toEqual([]);
    } finally {
      await withTriggersOff('ledger_entries', async () => {
        await exec(sql`update ledger_entries set balance_after = balance_after - 7 where id = ${String(first?.id)}`);
      });
    }
  });

  it('a gap in the account versions: version_gap and hash_chain_broken on the entry, version_mismatch on the account', async () => {
    const customerId = await funded(1_000);
    await grant(customerId, 1_000);
    const [, second] = await exec(
      sql`select id from ledger_entries where customer_id = ${customerId} order by account_version`,
    );
    await withTriggersOff('ledger_entries', async () => {
      await exec(sql`update ledger_entries set account_version = 3 where id = ${String(second?.id)}`);
    });
    try {
      const run = await reconcile();
      expect(about(run, `entry:${String(second?.id)}`)).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'version_gap', expected: 2, actual: 3 }),
        expect.objectContaining({ severity: 'error', kind: 'hash_chain_broken', actual: 3 }),
      ]);
      expect(about(run, `account:${customerId}`)).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'version_mismatch', expected: 2, actual: 3 }),
      ]);
    } finally {
      await withTriggersOff('ledger_entries', async () => {
        await exec(sql`update ledger_entries set account_version = 2 where id = ${String(second?.id)}`);
      });
    }
  });

  it('refunds beyond the total, refunded_amount out of step: refunds_exceed_total, refunded_amount_mismatch, refund_entries_mismatch', async () => {
    const customerId = await funded(10_000);
    const purchase = await buy(customerId);
    const refundId = `ref_PLANTED${Date.now()}`;
    await exec(sql`insert into refunds (id, purchase_id, customer_id, amount, currency, reason, actor)
                   values (${refundId}, ${purchase.id}, ${customerId}, ${purchase.total + 1}, 'USD', 'other', 'test')`);
    try {
      const findings = about(await reconcile(), `purchase:${purchase.id}`);
      expect(findings.map((f) => f.kind).sort()).toEqual([
        'refund_entries_mismatch',
        'refunded_amount_mismatch',
        'refunds_exceed_total',
      ]);
      expect(findings).toContainEqual(
        expect.objectContaining({ kind: 'refunds_exceed_total', expected: purchase.total, actual: purchase.total + 1 }),
      );
      expect(findings).toContainEqual(
        expect.objectContaining({ kind: 'refunded_amount_mismatch', expected: purchase.total + 1, actual: 0 }),
      );
    } finally {
      await withTriggersOff('refunds', async () => {
        await exec(sql`delete from refunds where id = ${refundId}`);
      });
    }
  });

  it('a completed purchase the platform has no shipment for: shipment_missing', async () => {
    const customerId = await funded(1_000);
    const purchaseId = `pur_PLANTED${Date.now()}`;
    // A free purchase needs no hold and no entry, so the shipment is the only thing wrong.
    await exec(sql`insert into purchases (id, customer_id, product_id, product_name, quantity, unit_price, subtotal, discount, total, currency,
                                          shipment_id, shipment_status, shipping_address, workflow_id, actor)
                   values (${purchaseId}, ${customerId}, 'prod_cable', 'USB-C Cable', 1, 0, 0, 0, 0, 'USD',
                           ${`shp_missing_${Date.now()}`}, 'created', '{"line1":"1 Main Street","city":"Springfield","postalCode":"12345","country":"US"}'::jsonb,
                           ${`purchase-${purchaseId}`}, 'test')`);
    try {
      expect(about(await reconcile(), `purchase:${purchaseId}`)).toEqual([
        expect.objectContaining({ severity: 'error', kind: 'shipment_missing', actual: null }),
      ]);
    } finally {
      await withTriggersOff('purchases', async () => {
        await exec(sql`delete from purchases where id = ${purchaseId}`);
      });
    }
  });

  it('an old pending hold whose workflow never existed: released with reconciliation_orphan, attempt failed', async () => {
    const customerId = await funded(10_000);
    const purchaseId = `pur_ORPHAN${Date.now()}`;
    await exec(sql`insert into purchase_attempts (id, customer_id, product_id, quantity, workflow_id, actor, created_at)
                   values (${purchaseId}, ${customerId}, 'prod_cable', 1, ${`purchase-${purchaseId}`}, 'web', now() - interval '1 hour')`);
    await exec(sql`insert into credit_holds (id, customer_id, purchase_id, workflow_id, amount, currency, created_at)
                   values (${`hold_${purchaseId}`}, ${customerId}, ${purchaseId}, ${`purchase-${purchaseId}`}, 999, 'USD', now() - interval '1 hour')`);
    await exec(sql`update credit_accounts set held = held + 999 where customer_id = ${customerId}`);

    const run = await reconcile();
    expect(about(run, `hold:hold_${purchaseId}`)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        kind: 'orphaned_hold_released',
        expected: 'released',
        actual: 'pending',
      }),
    ]);
    expect(run.counts.holdsReleased).toBe(1);
    const [hold] = await exec(sql`select status, resolution from credit_holds where purchase_id = ${purchaseId}`);
    expect(hold).toEqual({ status: 'released', resolution: 'reconciliation_orphan' });
    const [account] = await exec(sql`select balance, held from credit_accounts where customer_id = ${customerId}`);
    expect({ balance: Number(account?.balance), held: Number(account?.held) }).toEqual({ balance: 10_000, held: 0 });
    const [attempt] = await exec(
      sql`select status, error->>'code' as code from purchase_attempts where id = ${purchaseId}`,
    );
    expect(attempt).toEqual({ status: 'failed', code: 'purchase_cancelled' });

    // The next run finds nothing left to do.
    expect(about(await reconcile(), `hold:hold_${purchaseId}`)).toEqual([]);
  });

  it('a saga stuck in shipping keeps its hold (reported); once its workflow is terminated the hold is released', async () => {
    const customerId = await funded(10_000);
    await platform.fault({ operation: 'createShipment', mode: 'error', status: 503, times: -1 });
    const started = await http<{ id: string; status: string }>('POST', url('/v1/purchases'), {
      token: TOKENS.storefront,
      idempotencyKey: newKey('stuck'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(started.status).toBe(202);
    const purchaseId = started.body.id;
    const handle = stack.temporal.workflow.getHandle(`purchase-${purchaseId}`);
    await until(
      'the saga to be shipping',
      async () => ((await handle.query(statusQuery)).stage === 'shipping' ? true : null),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1600));

    const first = await reconcile();
    expect(about(first, `hold:${holdIdFor(purchaseId)}`)).toEqual([
      expect.objectContaining({ severity: 'info', kind: 'hold_awaiting_running_workflow' }),
    ]);
    expect((await exec(sql`select status from credit_holds where purchase_id = ${purchaseId}`))[0]).toEqual({
      status: 'pending',
    });

    await handle.terminate('test: a purchase workflow that died without compensating');
    const second = await reconcile();
    expect(about(second, `hold:${holdIdFor(purchaseId)}`)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        kind: 'orphaned_hold_released',
        detail: expect.stringContaining('TERMINATED') as unknown,
      }),
    ]);
    expect((await exec(sql`select status, resolution from credit_holds where purchase_id = ${purchaseId}`))[0]).toEqual(
      { status: 'released', resolution: 'reconciliation_orphan' },
    );
    const [account] = await exec(sql`select balance, held from credit_accounts where customer_id = ${customerId}`);
    expect({ balance: Number(account?.balance), held: Number(account?.held) }).toEqual({ balance: 10_000, held: 0 });
    expect(await platform.shipmentsFor(purchaseId)).toEqual([]);
  });

  it('a long run continues as new between batches and still records one run with every account', async () => {
    const [{ n } = { n: 0 }] = await exec(sql`select count(*)::int as n from credit_accounts`);
    const runId = newId('run');
    const handle = await stack.temporal.workflow.start(reconcileLedger, {
      workflowId: `reconcile-${runId}`,
      taskQueue: stack.taskQueue,
      args: [{ trigger: 'manual', runId, actor: 'test', batchesPerExecution: 1 }],
    });
    const summary = await handle.result();
    expect(summary).toMatchObject({
      runId,
      status: 'completed',
      findingCount: 0,
      counts: { accounts: Number(n), errors: 0 },
    });
    // The first execution handed over after its one batch.
    const first = await stack.temporal.workflow.getHandle(`reconcile-${runId}`, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(await exec(sql`select count(*)::int as n from reconciliation_runs where id = ${runId}`)).toEqual([{ n: 1 }]);
  });

  it('lists runs newest first with a keyset cursor; admin only', async () => {
    const page1 = await http<ReconciliationRunList>('GET', url('/v1/reconciliation/runs?limit=2'), {
      token: TOKENS.admin,
    });
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.nextCursor).not.toBeNull();
    const page2 = await http<ReconciliationRunList>(
      'GET',
      url(`/v1/reconciliation/runs?limit=100&cursor=${page1.body.nextCursor ?? ''}`),
      { token: TOKENS.admin },
    );
    const all = [...page1.body.data, ...page2.body.data];
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const starts = all.map((r) => r.startedAt);
    expect([...starts].sort().reverse()).toEqual(starts);
    expect(all.every((r) => r.status === 'completed')).toBe(true);
    expect(page1.body.data[0]).not.toHaveProperty('findings');

    expect((await http('GET', url('/v1/reconciliation/runs'), { token: TOKENS.support })).status).toBe(403);
    expect((await http('POST', url('/v1/reconciliation/runs'), { token: TOKENS.support })).status).toBe(403);
    expect(
      (await http('GET', url('/v1/reconciliation/runs/run_01JDQ8X4N2V7W3K5M9P0R1S2T3'), { token: TOKENS.admin }))
        .status,
    ).toBe(404);
  });
});
