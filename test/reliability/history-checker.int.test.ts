/**
 * The history checker on the real stack: a bounded concurrent workload (grants, deductions,
 * purchases, refunds; 3 hot and 26 cold accounts; duplicates sent at once with one key),
 * with CreateShipment faults injected through platform-mock while it runs (transient 503s and
 * 500s that the saga retries, and ambiguous timeouts that the platform performs anyway). Two
 * cold customers have an address the platform refuses (400 invalid_address): their purchases
 * fail for good (502 shipment_failed) after the credit was reserved. Every request and response is recorded; afterwards
 * the checker proves from the database and the platform that nothing was lost, nothing
 * doubled, no account overdrawn, every acknowledged operation present, every failed one
 * absent, and I1–I5. The figures go to test-results/history-checker.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformControl, type Fault } from '../support/platform.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';
import { checkHistory } from './checker.js';
import { runWorkload } from './workload.js';

let stack: TestStack;
let platform: PlatformControl;
beforeAll(async () => {
  stack = await startStack({
    env: {
      // The client waits for the saga at most 3 s (202 after), the platform call at most 1 s:
      // a 1.5 s "timeout" fault is an ambiguous outcome the saga must resolve by lookup.
      PURCHASE_SYNC_TIMEOUT_MS: '3000',
      PLATFORM_TIMEOUT_MS: '1000',
      SHIPMENT_RETRY_BUDGET_MS: '8000',
      DATABASE_POOL_MAX: '20',
    },
  });
  platform = new PlatformControl(stack.platformUrl);
});
afterAll(async () => {
  await platform?.clearFaults().catch(() => undefined);
  await stack?.close();
});

/** The faults injected while the workload runs, one every 25 operations, in this order. */
const FAULTS: readonly Fault[] = [
  { operation: 'createShipment', mode: 'error', status: 503, times: 3 },
  { operation: 'createShipment', mode: 'timeout', delayMs: 1500, times: 2 },
  { operation: 'createShipment', mode: 'error', status: 500, times: 2 },
];

describe('history checker', () => {
  it('a concurrent workload with CreateShipment faults: nothing lost, nothing doubled, no overdraft, I1–I5', async () => {
    const customers = await Promise.all(Array.from({ length: 27 }, () => platform.newCustomer()));
    const undeliverable = await Promise.all(
      [1, 2].map(() =>
        platform.newCustomer({ line1: '1 Nowhere Lane', city: 'Springfield', postalCode: '', country: 'US' }),
      ),
    );
    const injected: Record<string, number> = {};
    const workload = await runWorkload({
      apiUrl: stack.apiUrl,
      storefront: { name: 'web', token: TOKENS.storefront },
      support: { name: 'alice', token: TOKENS.support },
      hot: customers.slice(0, 3),
      cold: [...customers.slice(3), ...undeliverable],
      operations: 260,
      concurrency: 12,
      seed: 7,
      maxDurationMs: 35_000,
      onProgress: async (n) => {
        if (n % 25 !== 0) return;
        const fault = FAULTS[(n / 25 - 1) % FAULTS.length];
        if (!fault) return;
        await platform.fault(fault);
        const label = `${fault.mode}${fault.status ? ` ${fault.status}` : ''}`;
        injected[label] = (injected[label] ?? 0) + (fault.times ?? 1);
      },
    });
    await platform.clearFaults();
    const report = await checkHistory(workload.history, stack);
    const figures = {
      ...report,
      violations: report.violations.length,
      duplicates: workload.duplicates,
      durationMs: workload.durationMs,
      faultsInjected: injected,
    };
    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      'test-results/history-checker.json',
      `${JSON.stringify({ ...figures, violationList: report.violations }, null, 2)}\n`,
    );

    expect(report.violations).toEqual([]);
    expect(report.unknown).toBe(0);
    expect(report.attempted).toBeGreaterThan(200);
    // The workload really exercised both sides: money moved, and some requests were refused.
    for (const kind of ['grant', 'deduction', 'purchase', 'refund'])
      expect(report.byKind[kind]?.acknowledged, kind).toBeGreaterThan(0);
    expect(report.failed).toBeGreaterThan(0);
    expect(report.statuses['500'] ?? 0).toBe(0);
  }, 180_000);
});
