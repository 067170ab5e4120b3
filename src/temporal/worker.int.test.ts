/**
 * The Temporal wiring end to end: the run's real dev server, a worker on this file's task
 * queue, the workflow bundle, an activity that reaches Postgres. Also: the workflow code
 * bundles (a forbidden import would fail here, not in a worker at start-up).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ping } from '../../workflows/index.js';
import { startStack, type TestStack } from '../../test/support/stack.js';
import { WORKFLOWS_PATH } from './worker.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('worker', () => {
  it('runs the ping workflow through an activity that reaches the database', async () => {
    const result = await stack.temporal.workflow.execute(ping, {
      taskQueue: stack.taskQueue,
      workflowId: `ping-${Date.now()}`,
      args: ['hello'],
    });
    expect(result.message).toBe('hello');
    expect(result.databaseKind).toBe('postgres');
    expect(Date.parse(result.databaseTime)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('bundles the workflow code', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    expect(bundle.code.length).toBeGreaterThan(1000);
  });
});
