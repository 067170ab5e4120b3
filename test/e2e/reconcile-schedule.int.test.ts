/**
 * The reconciliation schedule as deployed: `main.ts worker` creates it at start-up; a second
 * start-up (a restart, another replica, a changed interval) updates the same schedule rather
 * than adding one; SIGTERM stops a worker cleanly. Triggering the schedule runs
 * `reconcileLedger`, which records a `schedule` run. The schedule id is unique to this test
 * (RECONCILE_SCHEDULE_ID), as the run's dev server is shared with other test files.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { getRun, listRuns } from '../../src/db/reconciliation-repository.js';
import { ensureReconcileSchedule } from '../../src/temporal/schedules.js';
import { createLogger } from '../../src/logger.js';
import { startServiceProcess, type ServiceProcess } from '../support/processes.js';
import { startStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
const processes: ServiceProcess[] = [];
const scheduleId = `reconcile-ledger-test-${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const p of processes) await p.kill();
  await stack?.temporal.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await stack?.close();
});

async function until<T>(
  what: string,
  fn: () => Promise<T | null>,
  timeoutMs: number,
  output?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${output ? `\n${output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function startWorker(intervalMs: number): ServiceProcess {
  const worker = startServiceProcess('worker', {
    NODE_ENV: 'test',
    DATABASE_URL: stack.config.databaseUrl ?? '',
    TEMPORAL_ADDRESS: stack.config.temporal.address ?? '',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    PLATFORM_API_URL: stack.platformUrl,
    RECONCILE_SCHEDULE_ID: scheduleId,
    RECONCILE_INTERVAL_MS: String(intervalMs),
    LOG_LEVEL: 'info',
  });
  processes.push(worker);
  return worker;
}

async function intervalSeconds(): Promise<number | null> {
  const description = await stack.temporal.schedule.getHandle(scheduleId).describe();
  const every = description.spec.intervals?.[0]?.every;
  return typeof every === 'number' ? every / 1000 : null;
}

async function schedulesWithId(): Promise<number> {
  let count = 0;
  for await (const s of stack.temporal.schedule.list()) if (s.scheduleId === scheduleId) count += 1;
  return count;
}

describe('reconcile-ledger schedule', () => {
  it('defaults: id reconcile-ledger, every 15 minutes, holds older than 15 minutes', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.reconcile).toMatchObject({
      scheduleId: 'reconcile-ledger',
      intervalMs: 15 * 60_000,
      holdAgeMs: 15 * 60_000,
    });
  });

  it('created by a worker start-up, updated (not duplicated) by the next one; SIGTERM stops a worker cleanly', async () => {
    const first = startWorker(15 * 60_000);
    expect(await until('the schedule to exist', intervalSeconds, 60_000, () => first.output())).toBe(900);
    const description = await stack.temporal.schedule.getHandle(scheduleId).describe();
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'reconcileLedger',
      taskQueue: stack.taskQueue,
      args: [{ trigger: 'schedule' }],
    });

    await first.kill('SIGTERM');
    expect(first.child.exitCode).toBe(0);
    expect(first.output()).toContain('worker stopped');

    const second = startWorker(10 * 60_000);
    expect(
      await until(
        'the schedule to be updated',
        async () => ((await intervalSeconds()) === 600 ? 600 : null),
        60_000,
        () => second.output(),
      ),
    ).toBe(600);
    expect(second.output()).toContain('reconciliation schedule updated');
    // Listing is eventually consistent: give it a moment to show a duplicate if there were one.
    expect(
      await until(
        'the schedule in the list',
        async () => ((await schedulesWithId()) > 0 ? schedulesWithId() : null),
        20_000,
      ),
    ).toBe(1);

    // A third start-up in this process, through the same function: still one schedule.
    const config = { ...stack.config, reconcile: { ...stack.config.reconcile, scheduleId, intervalMs: 10 * 60_000 } };
    expect(await ensureReconcileSchedule(stack.temporal, config, createLogger('silent'))).toBe('updated');
    expect(await schedulesWithId()).toBe(1);
    await second.kill('SIGTERM');
    expect(second.child.exitCode).toBe(0);
  });

  it('a triggered schedule runs reconcileLedger and records a scheduled run', async () => {
    // The schedule targets this stack's task queue, where the stack's own worker listens.
    await stack.temporal.schedule.getHandle(scheduleId).trigger();
    const run = await until(
      'a scheduled run',
      async () => {
        const { rows } = await listRuns(stack.database.db, null, 10);
        const done = rows.find((r) => r.trigger === 'schedule' && r.status !== 'running');
        return done ?? null;
      },
      30_000,
    );
    expect(run).toMatchObject({ trigger: 'schedule', status: 'completed', actor: null, findingCount: 0 });
    expect(run.workflowId.startsWith(scheduleId)).toBe(true);
    expect(await getRun(stack.database.db, run.id)).toMatchObject({ id: run.id });
  });
});
