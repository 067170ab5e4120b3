/**
 * The fault suite (`npm run test:faults`): the stack as separate processes (API, worker,
 * platform-mock, a Temporal dev server with a SQLite file, Postgres), a concurrent workload of
 * money movements recorded request by request, and one kind of fault per scenario:
 *
 * - the worker SIGKILLed at each saga step (loading, reserving, shipping, committing);
 * - the API SIGKILLed while purchase requests wait on it;
 * - the Temporal dev server restarted mid-load;
 * - every Postgres connection of the service terminated (`pg_terminate_backend`) mid-transaction;
 * - CreateShipment errors, slowness, ambiguous timeouts and an outage longer than the budget;
 * - clients that give up after 1 s and retry with the same Idempotency-Key, twice at once.
 *
 * After each scenario the history checker (test/reliability/checker.ts) proves nothing lost,
 * nothing doubled, no overdraft, every acknowledged operation present and every failed one
 * absent, and I1–I5. After each injection a probe purchase must get through within
 * RECOVERY_DEADLINE_MS (60 s): a stack that does not recover fails, a slow machine does not.
 * Every fault is bounded in time; the suite stops by itself (each scenario
 * has a deadline, the processes are killed in afterAll). Figures: test-results/faults.json
 * and test-results/faults.md (copied into RELIABILITY.md).
 *
 * Three entry files register it: `all.test.ts` (`npm run test:faults`, every scenario) and
 * `ci.test.ts` (`npm run test:faults:ci`, the two fast scenarios the CI step runs) on one API
 * and one worker, and `scaled.test.ts` (`npm run test:faults:scaled`) on two APIs and two
 * workers, requests spread round robin over the APIs, with the scenarios that matter for
 * scale-out: the worker running a saga step SIGKILLed (the other takes the saga over), one of
 * the two workers SIGKILLed mid-load (the other carries on), one of the two APIs SIGKILLed
 * while requests wait on it, every Postgres connection of all four terminated. No run reports
 * scenarios it leaves out as skipped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Purchase } from '../../src/contracts/index.js';
import { PlatformControl, type Fault } from '../support/platform.js';
import { TOKENS } from '../support/stack.js';
import { checkHistory, type CheckReport } from '../reliability/checker.js';
import { execute, History, type Operation } from '../reliability/history.js';
import { opKey, runWorkload, type WorkloadOptions } from '../reliability/workload.js';
import { Cluster, SINGLE, topologyName, type Topology } from './cluster.js';

/**
 * How long after an injection a new purchase may take to get through before the scenario
 * fails. Healthy runs recovered within 18 s (worker crashes and restarts included, on the
 * loaded 2-core machine); a stuck stack never does, so any finite bound catches it, and a
 * generous one keeps a busy machine from failing a healthy run.
 */
const RECOVERY_DEADLINE_MS = Number(process.env.FAULTS_RECOVERY_DEADLINE_MS ?? '') || 60_000;

/** The scenarios of the suite. */
export const FAULT_SCENARIOS = [
  'worker-sigkill-steps',
  'worker-sigkill-load',
  'api-sigkill',
  'temporal-restart',
  'postgres-terminate',
  'shipment-faults',
  'client-retries',
  'ambiguous-4xx',
] as const;
export type FaultScenario = (typeof FAULT_SCENARIOS)[number];

/** Which scenarios a run registers: `ci` the fast pair, `all` every one of 1+1, `scaled` those that matter for scale-out. */
export type FaultSubset = 'ci' | 'all' | 'scaled';

const SUBSETS: Record<FaultSubset, readonly FaultScenario[]> = {
  all: [
    'worker-sigkill-steps',
    'api-sigkill',
    'temporal-restart',
    'postgres-terminate',
    'shipment-faults',
    'client-retries',
    'ambiguous-4xx',
  ],
  ci: ['api-sigkill', 'postgres-terminate'],
  scaled: ['worker-sigkill-steps', 'worker-sigkill-load', 'api-sigkill', 'postgres-terminate'],
};

export interface FaultSuiteOptions {
  readonly subset: FaultSubset;
  /** API and worker processes (default 1+1). */
  readonly topology?: Topology;
}

/**
 * Registers the fault suite's cluster and the scenarios of `subset` on `topology` in the
 * calling test file. Its figures go to test-results/faults.{json,md} on 1+1 and to
 * test-results/faults-<apis>+<workers>.{json,md} on any other topology.
 */
export function defineFaultSuite({ subset, topology = SINGLE }: FaultSuiteOptions): void {
  const selected = new Set<FaultScenario>(SUBSETS[subset]);
  const runs = (scenario: FaultScenario): boolean => selected.has(scenario);
  const single = topology.apis === 1 && topology.workers === 1;
  /** Scenario names carry the topology when it is not 1+1. */
  const named = (name: string): string => (single ? name : `${name} (${topologyName(topology)})`);
  const results = single ? 'test-results/faults' : `test-results/faults-${topologyName(topology)}`;
  let cluster: Cluster;
  let platform: PlatformControl;

  interface FaultRow {
    readonly fault: string;
    readonly injected: number;
    readonly detail: string;
    readonly report: CheckReport;
    /** Per injection: from the fault to the first purchase started after it that was acknowledged. */
    readonly recoverMs: number[];
    /** Service processes that died by themselves during the scenario (restarted by the supervisor). */
    readonly crashes: { process: string; exit: string; tail: string }[];
    readonly durationMs: number;
  }
  const rows: FaultRow[] = [];

  beforeAll(async () => {
    cluster = new Cluster({
      topology,
      env: {
        PURCHASE_SYNC_TIMEOUT_MS: '4000',
        SHIPMENT_RETRY_BUDGET_MS: '6000',
        PLATFORM_TIMEOUT_MS: '2000',
      },
    });
    await cluster.start();
    platform = new PlatformControl(cluster.platformUrl);
  });

  afterAll(async () => {
    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      `${results}.json`,
      `${JSON.stringify(
        rows.map((r) => ({ ...r, report: { ...r.report, violations: r.report.violations } })),
        null,
        2,
      )}\n`,
    );
    const table = [
      '| fault | injected | operations attempted / acknowledged / refused | HTTP requests | invariant violations | process crashes | time to recover (per injection) |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.fault} | ${r.injected} ${r.detail} | ${r.report.attempted} / ${r.report.acknowledged} / ${r.report.failed} | ${r.report.requests} | ${r.report.violations.length} | ${r.crashes.length ? r.crashes.map((c) => `${c.process} (${c.exit})`).join(', ') : '0'} | ${r.recoverMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') || '—'} |`,
      ),
    ];
    writeFileSync(`${results}.md`, `${table.join('\n')}\n`);
    await cluster?.close();
  });

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  function baseWorkload(customers: string[], overrides: Partial<WorkloadOptions>): WorkloadOptions {
    return {
      apiUrl: cluster.apiTarget,
      storefront: { name: 'web', token: TOKENS.storefront },
      support: { name: 'alice', token: TOKENS.support },
      hot: customers.slice(0, 2),
      cold: customers.slice(2),
      operations: 150,
      concurrency: 8,
      seed: 11,
      maxDurationMs: 25_000,
      ...overrides,
    };
  }

  async function customers(n: number): Promise<string[]> {
    return Promise.all(Array.from({ length: n }, () => platform.newCustomer()));
  }

  /** Faulted calls still queued on platform-mock (injected but not reached). */
  async function pendingFaults(): Promise<number> {
    const res = await fetch(`${cluster.platformUrl}/__control/faults`);
    const body = (await res.json()) as { data?: { remaining: number }[] } | { remaining: number }[];
    const list = Array.isArray(body) ? body : (body.data ?? []);
    return list.reduce((n, f) => n + Math.max(0, f.remaining), 0);
  }

  /** From `since` to the acknowledgement of the first purchase that was started after it. */
  function recovery(history: History, since: number): number {
    let best = Number.POSITIVE_INFINITY;
    for (const op of history.operations) {
      const first = op.requests[0];
      const last = op.requests[op.requests.length - 1];
      if (op.kind !== 'purchase' || op.outcome !== 'acknowledged' || !first || !last || first.at < since) continue;
      best = Math.min(best, last.at + last.durationMs - since);
    }
    return best;
  }

  /**
   * After each injection, a new customer's purchase (`prod_cable` on an account of its own with
   * ample credit): sent at once, retried with the same key as the contract tells clients to,
   * and bought again under a new key when refused (an injected shipment outage fails purchases
   * for good), until one is acknowledged or RECOVERY_DEADLINE_MS has passed. So every injection
   * has a purchase started after it, however busy the workload's clients are (they may all be
   * retrying older operations, or have finished theirs), and a stack that does not recover
   * fails the scenario. Its operations are recorded in the scenario's history: the checker
   * checks them like any other.
   */
  class Probe {
    private readonly runs: Promise<boolean>[] = [];

    private constructor(
      private readonly history: History,
      private readonly customerId: string,
    ) {}

    static async open(history: History): Promise<Probe> {
      const [customerId] = await customers(1);
      if (!customerId) throw new Error('no customer');
      const grant = history.add({
        kind: 'grant',
        key: opKey('probe-grant', 0),
        actor: 'alice',
        token: TOKENS.support,
        method: 'POST',
        path: `/v1/customers/${customerId}/credit/grants`,
        body: { amount: 100_000, currency: 'USD', reason: 'goodwill' },
        customerId,
      });
      await execute(cluster.apiTarget, grant);
      if (grant.outcome !== 'acknowledged') throw new Error(`probe grant: ${JSON.stringify(grant.final)}`);
      return new Probe(history, customerId);
    }

    /** Starts the probe of the injection made at `since`; does not wait for it. */
    after(since: number): void {
      this.runs.push(this.run(since + RECOVERY_DEADLINE_MS));
    }

    private async run(deadline: number): Promise<boolean> {
      while (Date.now() < deadline) {
        const op = this.history.add({
          kind: 'purchase',
          key: opKey('probe', 0),
          actor: 'web',
          token: TOKENS.storefront,
          method: 'POST',
          path: '/v1/purchases',
          body: { customerId: this.customerId, productId: 'prod_cable' },
          customerId: this.customerId,
        });
        await execute(cluster.apiTarget, op, {
          maxRequests: 10_000,
          baseDelayMs: 100,
          capDelayMs: 1000,
          deadlineMs: Math.max(1, deadline - Date.now()),
          timeoutMs: 10_000,
        });
        if (op.outcome === 'acknowledged') return true;
        if (op.outcome === 'unknown') return false;
        await sleep(500);
      }
      return false;
    }

    /** Waits for every probe: the injections (1-based) after which no purchase got through in time. */
    async missed(): Promise<number[]> {
      const results = await Promise.all(this.runs);
      return results.flatMap((ok, i) => (ok ? [] : [i + 1]));
    }
  }

  function expectProbes(fault: string, missed: number[]): void {
    expect(
      missed,
      `${fault}: no purchase got through within ${RECOVERY_DEADLINE_MS / 1000} s after injection(s) ${missed.join(', ')}\n${cluster.output()}`,
    ).toEqual([]);
  }

  async function finish(
    fault: string,
    injected: number,
    detail: string,
    history: History,
    recoverMs: number[],
    started: number,
  ): Promise<FaultRow> {
    await platform.clearFaults();
    await cluster.healthy();
    const report = await checkHistory(history, { database: cluster.database, platformUrl: cluster.platformUrl });
    const crashes = cluster.crashes
      .filter((c) => c.at >= started)
      .map(({ process, exit, tail }) => ({ process, exit, tail }));
    const row: FaultRow = {
      fault: named(fault),
      injected,
      detail,
      report,
      recoverMs,
      crashes,
      durationMs: Date.now() - started,
    };
    rows.push(row);
    return row;
  }

  function expectClean(row: FaultRow): void {
    expect(row.report.violations, `${row.fault}\n${cluster.output()}`).toEqual([]);
    expect(
      row.report.unknown,
      `${row.fault}: ${row.report.unknown} operations without a final answer\n${cluster.output()}`,
    ).toBe(0);
    expect(row.report.acknowledged).toBeGreaterThan(0);
    for (const ms of row.recoverMs)
      expect(Number.isFinite(ms), `${row.fault}: no purchase succeeded after an injection`).toBe(true);
  }

  type Stage = 'loading' | 'reserving' | 'shipping' | 'committing';

  /**
   * Waits until a saga is inside `stage`, from the step's own trace: a held platform call
   * (loading: GET customer; shipping: CreateShipment) beyond the count before the victims were
   * sent, or a service backend waiting on the account's row lock (reserving, committing). The
   * saga runs these steps as local activities inside one workflow task, where neither the
   * `PurchaseStage` search attribute nor a query shows them (see workflows/purchase.ts).
   */
  async function waitForStage(
    stage: Stage,
    callsBefore: Record<string, number>,
    admin: ReturnType<Cluster['admin']>,
    timeoutMs = 20_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const operation = stage === 'loading' ? 'getCustomer' : stage === 'shipping' ? 'createShipment' : null;
    while (Date.now() < deadline) {
      if (operation) {
        if (((await platform.calls())[operation] ?? 0) > (callsBefore[operation] ?? 0)) return;
      } else {
        const [row] = await admin<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and application_name <> 'fault-harness'`;
        if ((row?.waiting ?? 0) > 0) return;
      }
      await sleep(50);
    }
    throw new Error(`no purchase reached stage ${stage} within ${timeoutMs} ms`);
  }

  if (runs('worker-sigkill-steps'))
    describe(named('worker SIGKILL at each saga step'), () => {
      it('a new worker finishes every saga that was running: one shipment, one debit each', async () => {
        const started = Date.now();
        const history = new History();
        const [customerA, customerB] = await customers(2);
        if (!customerA || !customerB) throw new Error('no customers');
        const grantOp = (customerId: string): Operation =>
          history.add({
            kind: 'grant',
            key: opKey('grant', 1),
            actor: 'alice',
            token: TOKENS.support,
            method: 'POST',
            path: `/v1/customers/${customerId}/credit/grants`,
            body: { amount: 500_000, currency: 'USD', reason: 'goodwill' },
            customerId,
          });
        await Promise.all([
          execute(cluster.apiTarget, grantOp(customerA)),
          execute(cluster.apiTarget, grantOp(customerB)),
        ]);
        const buy = (customerId: string): Operation =>
          history.add({
            kind: 'purchase',
            key: opKey('buy', 1),
            actor: 'web',
            token: TOKENS.storefront,
            method: 'POST',
            path: '/v1/purchases',
            body: { customerId, productId: 'prod_mouse' },
            customerId,
          });
        const admin = cluster.admin();
        const stages: Stage[] = ['loading', 'reserving', 'shipping', 'committing'];
        const sagaRecovery: number[] = [];
        /** Several workers: per step, how many sagas in it the killed worker was running. */
        const killedSagas: number[] = [];
        try {
          for (const stage of stages) {
            // Hold the saga in `stage` long enough to kill the worker inside it.
            let release: (() => void) | null = null;
            const lockAccount = async (customerId: string): Promise<void> => {
              await new Promise<void>((locked) => {
                void admin.begin(async (tx) => {
                  await tx`select 1 from credit_accounts where customer_id = ${customerId} for update`;
                  locked();
                  await new Promise<void>((r) => {
                    release = r;
                  });
                });
              });
            };
            if (stage === 'loading')
              await platform.fault({ operation: 'getCustomer', mode: 'timeout', delayMs: 1500, times: 3 });
            if (stage === 'reserving') await lockAccount(customerA);
            if (stage === 'shipping' || stage === 'committing')
              await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 1500, times: 3 });
            const callsBefore = await platform.calls();
            const victims = [buy(customerA), buy(customerA), buy(customerB)];
            const running = victims.map((op) => execute(cluster.apiTarget, op));
            if (stage === 'committing') {
              await waitForStage('shipping', callsBefore, admin);
              await lockAccount(customerA);
            }
            await waitForStage(stage, callsBefore, admin);
            const killedAt = Date.now();
            if (topology.workers === 1) {
              await cluster.killWorker();
              (release as (() => void) | null)?.();
              await cluster.startWorker();
              await Promise.all(running);
            } else {
              // Several workers: kill the one running most of the sagas in this step, and
              // restart it only after they all completed, so the others must take them over.
              const inFlight = await admin<{ workflow_id: string }[]>`
                select workflow_id from purchase_attempts where status = 'pending' and workflow_id is not null`;
              const holders = await cluster.workersRunning(inFlight.map((r) => r.workflow_id));
              const [victim, sagas] = [...holders.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
              killedSagas.push(sagas);
              await cluster.killWorker(victim);
              (release as (() => void) | null)?.();
              await Promise.all(running);
              await cluster.startWorker(victim);
            }
            const done = Math.max(
              ...victims.map((op) => {
                const last = op.requests[op.requests.length - 1];
                return last ? last.at + last.durationMs : 0;
              }),
            );
            sagaRecovery.push(done - killedAt);
            await platform.clearFaults();
            for (const op of victims) expect(op.outcome, `${stage}: ${JSON.stringify(op.final)}`).toBe('acknowledged');
            for (const op of victims) expect((op.final?.body as Purchase | undefined)?.total).toBe(2999);
          }
        } finally {
          await admin.end({ timeout: 5 });
        }
        // The killed worker was running sagas of the step each time (else the step proved nothing).
        for (const n of killedSagas)
          expect(n, 'the killed worker ran none of the sagas in the step').toBeGreaterThan(0);
        // Recovery here: from the kill until every saga that was running had completed.
        const row = await finish(
          'worker SIGKILL at each saga step',
          stages.length,
          `(in ${stages.join(', ')}${killedSagas.length ? `; one of ${topology.workers} workers each time, running ${killedSagas.join(', ')} of the sagas in the step, restarted after they completed` : ''}; recovery = until every saga in flight completed)`,
          history,
          sagaRecovery,
          started,
        );
        expectClean(row);
      }, 240_000);
    });

  if (runs('worker-sigkill-load'))
    describe(named('worker SIGKILL mid-load'), () => {
      it('the other workers carry on, the killed one’s sagas finish elsewhere or after its restart: each purchase once', async () => {
        const started = Date.now();
        // Slow shipments keep sagas in flight on every worker when one dies (all along: cleared at the end).
        await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 1200, times: 10_000 });
        const injections: number[] = [];
        /** Per kill: purchases answered (final) while the killed worker was down. */
        const whileDown: number[] = [];
        let inFlight = 0;
        const history = new History();
        const probe = await Probe.open(history);
        // The workload runs until the last restart is done (a worker's start, bundling
        // included, takes 5–25 s on a loaded machine), bounded by the test's timeout.
        const stop = new AbortController();
        const run = runWorkload(
          baseWorkload(await customers(10), {
            seed: 71,
            operations: 100_000,
            maxDurationMs: 150_000,
            stop: stop.signal,
          }),
          history,
        );
        // One worker each time, in turn, 3 s into a busy stretch, left down 8 s: the others must
        // take over its sagas (after the workflow task timeout) and run the new ones meanwhile.
        const DOWN_MS = 8000;
        for (let i = 0; i < 3; i += 1) {
          await sleep(3000);
          inFlight += history.operations.filter((op) => op.outcome === 'unknown' && op.kind === 'purchase').length;
          const killedAt = Date.now();
          injections.push(killedAt);
          const victim = i % topology.workers;
          await cluster.killWorker(victim);
          probe.after(killedAt);
          await sleep(DOWN_MS);
          const restartedAt = Date.now();
          whileDown.push(
            history.operations.filter((op) => {
              const last = op.requests[op.requests.length - 1];
              // The workload's purchases, not the probe's.
              if (op.kind !== 'purchase' || op.outcome !== 'acknowledged' || !last || op.key.startsWith('hist-probe-'))
                return false;
              const answered = last.at + last.durationMs;
              return answered > killedAt && answered < restartedAt;
            }).length,
          );
          await cluster.startWorker(victim);
        }
        await sleep(3000);
        stop.abort();
        const workload = await run;
        const missed = await probe.missed();
        const row = await finish(
          'worker SIGKILL mid-load',
          injections.length,
          `(one of ${topology.workers} worker${topology.workers > 1 ? 's' : ''} each time, down ${DOWN_MS / 1000} s; ${inFlight} purchases in flight at the kills; the workload's purchases completed while it was down: ${whileDown.join(', ')})`,
          workload.history,
          injections.map((t) => recovery(workload.history, t)),
          started,
        );
        // With another worker up, purchases complete while the killed one is down.
        if (topology.workers > 1)
          for (const n of whileDown) expect(n, `no purchase completed while a worker was down`).toBeGreaterThan(0);
        expectProbes(row.fault, missed);
        expectClean(row);
      }, 240_000);
    });

  if (runs('api-sigkill'))
    describe(named('API SIGKILL while requests wait (CI subset)'), () => {
      it('clients retry with the same key against the restarted API: each purchase once', async () => {
        const started = Date.now();
        // Slow shipments keep purchase requests waiting on the API when it dies.
        await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 1200, times: 60 });
        const injections: number[] = [];
        let waiting = 0;
        const history = new History();
        const probe = await Probe.open(history);
        const run = runWorkload(
          baseWorkload(await customers(10), { seed: 21, operations: 200, maxDurationMs: 30_000 }),
          history,
        );
        // Ten seconds apart, so each restart is measured on its own. With several APIs, one of
        // them each time (in turn): the requests waiting on it die, their retries reach the others.
        for (const [i, at] of [3000, 13_000, 23_000].entries()) {
          await sleep(at - (Date.now() - started));
          waiting += history.operations.filter((op) => op.outcome === 'unknown' && op.kind === 'purchase').length;
          injections.push(Date.now());
          const victim = i % topology.apis;
          await cluster.killApi(victim);
          probe.after(injections[injections.length - 1] ?? 0);
          await cluster.startApi(victim);
        }
        const workload = await run;
        const missed = await probe.missed();
        const row = await finish(
          'API SIGKILL while requests wait',
          injections.length,
          `(${single ? '' : `one of ${topology.apis} APIs each time, `}${waiting} purchases in flight at the kills)`,
          workload.history,
          injections.map((t) => recovery(workload.history, t)),
          started,
        );
        expect(row.report.statuses.net ?? 0, 'some requests died with the API').toBeGreaterThan(0);
        expectProbes(row.fault, missed);
        expectClean(row);
      }, 180_000);
    });

  if (runs('temporal-restart'))
    describe('Temporal dev server restart mid-load', () => {
      it('requests wait or are retried while it is down; sagas resume from their histories after', async () => {
        const started = Date.now();
        const injections: number[] = [];
        const history = new History();
        const probe = await Probe.open(history);
        const run = runWorkload(
          baseWorkload(await customers(10), { seed: 31, operations: 800, maxDurationMs: 26_000 }),
          history,
        );
        let downMs = 0;
        for (const at of [4000, 14_000]) {
          await sleep(at - (Date.now() - started));
          injections.push(Date.now());
          await cluster.stopTemporal();
          probe.after(injections[injections.length - 1] ?? 0);
          await sleep(2000);
          await cluster.startTemporal();
          downMs += Date.now() - (injections[injections.length - 1] ?? 0);
        }
        const workload = await run;
        const missed = await probe.missed();
        const row = await finish(
          'Temporal dev server restart mid-load',
          injections.length,
          `(down ${(downMs / 1000).toFixed(1)} s in all)`,
          workload.history,
          injections.map((t) => recovery(workload.history, t)),
          started,
        );
        expectProbes(row.fault, missed);
        expectClean(row);
      }, 180_000);
    });

  if (runs('postgres-terminate'))
    describe(named('Postgres connections killed mid-transaction (CI subset)'), () => {
      it('pg_terminate_backend of every service connection: retried, nothing half-written', async () => {
        const started = Date.now();
        const injections: number[] = [];
        let killed = 0;
        let inTransaction = 0;
        const history = new History();
        const probe = await Probe.open(history);
        const run = runWorkload(
          baseWorkload(await customers(8), {
            seed: 41,
            operations: 800,
            concurrency: 10,
            hotShare: 0.8,
            maxDurationMs: 22_000,
          }),
          history,
        );
        for (let i = 0; i < 8; i += 1) {
          await sleep(2000);
          injections.push(Date.now());
          const result = await cluster.terminateServiceConnections();
          probe.after(injections[injections.length - 1] ?? 0);
          killed += result.killed;
          inTransaction += result.inTransaction;
        }
        const workload = await run;
        const missed = await probe.missed();
        const row = await finish(
          'Postgres connections killed (`pg_terminate_backend`)',
          injections.length,
          `(${killed} backends killed, ${inTransaction} of them in a transaction)`,
          workload.history,
          injections.map((t) => recovery(workload.history, t)),
          started,
        );
        expect(killed).toBeGreaterThan(0);
        // The driver survives killed connections (scripts/patch-postgres.mjs): no process restarts.
        expect(
          row.crashes,
          `processes died:\n${row.crashes.map((c) => `${c.process} (${c.exit}):\n${c.tail}`).join('\n')}`,
        ).toEqual([]);
        expectProbes(row.fault, missed);
        expectClean(row);
      }, 180_000);
    });

  if (runs('shipment-faults'))
    describe('CreateShipment errors, slowness and ambiguous timeouts', () => {
      it('retried within the budget, resolved by look-up when ambiguous, compensated when the outage outlasts it', async () => {
        const started = Date.now();
        const faults: Fault[] = [
          { operation: 'createShipment', mode: 'error', status: 503, times: 6 },
          { operation: 'createShipment', mode: 'timeout', delayMs: 800, times: 8 }, // slow, answered in time
          { operation: 'createShipment', mode: 'timeout', delayMs: 2600, times: 4 }, // past the 2 s client timeout, performed anyway
          { operation: 'createShipment', mode: 'error', status: 500, times: 4 },
          // An outage longer than the 6 s budget, bounded by time (cleared after OUTAGE_MS), not by
          // a count of calls: faster sagas use a count up before any budget runs out.
          { operation: 'createShipment', mode: 'error', status: 503, times: 10_000 },
        ];
        const OUTAGE_MS = 9000;
        const injections: number[] = [];
        let injected = 0;
        const history = new History();
        const probe = await Probe.open(history);
        const run = runWorkload(
          baseWorkload(await customers(10), { seed: 51, operations: 600, maxDurationMs: 32_000 }),
          history,
        );
        for (const fault of faults) {
          await sleep(3000);
          injections.push(Date.now());
          await platform.fault(fault);
          probe.after(injections[injections.length - 1] ?? 0);
        }
        await sleep(OUTAGE_MS - (Date.now() - (injections[injections.length - 1] ?? 0)));
        const left = await pendingFaults();
        await platform.clearFaults();
        const outageCalls = (faults[faults.length - 1]?.times ?? 0) - left;
        const workload = await run;
        const missed = await probe.missed();
        for (const fault of faults) injected += fault.times ?? 1;
        const row = await finish(
          'CreateShipment errors, slowness, ambiguous timeouts',
          injected - left,
          `faulted calls (6 × 503 and 4 × 500 retried, 8 slow, 4 ambiguous timeouts, then an outage of ${OUTAGE_MS / 1000} s past the 6 s budget: ${outageCalls} × 503)`,
          workload.history,
          injections.map((t) => recovery(workload.history, t)),
          started,
        );
        expect(row.report.statuses['502'] ?? 0, 'the long outage failed some purchases for good').toBeGreaterThan(0);
        expectProbes(row.fault, missed);
        expectClean(row);
      }, 180_000);
    });

  if (runs('client-retries'))
    describe('clients retrying with the same Idempotency-Key', () => {
      it('clients that give up after 1 s and send every request twice: one movement per key', async () => {
        const started = Date.now();
        await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 1100, times: 40 });
        const history = new History();
        const workload = await runWorkload(
          baseWorkload(await customers(8), {
            seed: 61,
            operations: 120,
            duplicateRate: 0.5,
            maxDurationMs: 20_000,
            retry: { maxRequests: 40, baseDelayMs: 50, capDelayMs: 500, deadlineMs: 90_000, timeoutMs: 1000 },
          }),
          history,
        );
        const abandoned = workload.history.operations.reduce(
          (n, op) => n + op.requests.filter((r) => r.error !== null).length,
          0,
        );
        const row = await finish(
          'clients retrying with the same Idempotency-Key',
          workload.duplicates + abandoned,
          `(${workload.duplicates} operations sent twice at once, ${abandoned} requests abandoned by the client at 1 s and retried)`,
          workload.history,
          [recovery(workload.history, started)],
          started,
        );
        expectClean(row);
      }, 180_000);
    });

  if (runs('ambiguous-4xx'))
    describe('a 4xx after an ambiguous CreateShipment', () => {
      // The platform holds the first CreateShipment past the client's timeout and performs it
      // later; the retry with the same key is refused (400). The saga takes the 4xx as final and
      // compensates at once; the held request then creates the shipment: a live shipment for a
      // failed purchase (I3). The saga cannot see it (the held call lands after any look-up); the
      // reconciliation run finds it by the attempt's idempotency key and cancels it.
      it('reconciliation cancels the shipment that the held call created for the failed purchase', async () => {
        const [customerId] = await customers(1);
        if (!customerId) throw new Error('no customer');
        const history = new History();
        const grantOp = history.add({
          kind: 'grant',
          key: opKey('grant', 9),
          actor: 'alice',
          token: TOKENS.support,
          method: 'POST',
          path: `/v1/customers/${customerId}/credit/grants`,
          body: { amount: 10_000, currency: 'USD', reason: 'goodwill' },
          customerId,
        });
        await execute(cluster.apiTarget, grantOp);
        await platform.fault({ operation: 'createShipment', mode: 'timeout', delayMs: 4000, times: 1 });
        await platform.fault({ operation: 'createShipment', mode: 'reject', status: 400, times: 1 });
        const buy = history.add({
          kind: 'purchase',
          key: opKey('buy', 9),
          actor: 'web',
          token: TOKENS.storefront,
          method: 'POST',
          path: '/v1/purchases',
          body: { customerId, productId: 'prod_mouse' },
          customerId,
        });
        await execute(cluster.apiTarget, buy);
        expect(buy.final?.status, JSON.stringify(buy.final)).toBe(502);
        const admin = cluster.admin();
        const [key] = await admin<
          { resource_id: string }[]
        >`select resource_id from idempotency_keys where key = ${buy.key}`;
        await admin.end({ timeout: 5 });
        const purchaseId = key?.resource_id ?? '';
        // The held call lands about 4 s after it was sent.
        const deadline = Date.now() + 15_000;
        while ((await platform.shipmentsFor(purchaseId)).length === 0 && Date.now() < deadline) await sleep(200);
        const live = await platform.shipmentsFor(purchaseId);
        expect(
          live.map((s) => s.status),
          'the held call created the shipment',
        ).toEqual(['created']);

        const started = await fetch(`${cluster.apiUrl}/v1/reconciliation/runs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKENS.admin}` },
        });
        expect([201, 202]).toContain(started.status);
        let run = (await started.json()) as {
          id: string;
          status: string;
          findings?: { kind: string; entity: string }[];
        };
        while (run.status === 'running' && Date.now() < deadline + 60_000) {
          await sleep(500);
          run = (await (
            await fetch(`${cluster.apiUrl}/v1/reconciliation/runs/${run.id}`, {
              headers: { authorization: `Bearer ${TOKENS.admin}` },
            })
          ).json()) as typeof run;
        }
        expect(run.status).toBe('completed');
        expect(run.findings?.filter((f) => f.entity === `purchase:${purchaseId}`).map((f) => f.kind)).toEqual([
          'orphan_shipment_cancelled',
        ]);
        expect((await platform.shipmentsFor(purchaseId)).map((s) => s.status)).toEqual(['cancelled']);
      }, 90_000);
    });
}
