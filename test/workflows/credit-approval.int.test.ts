/**
 * The `creditApproval` workflow on Temporal's time-skipping test server, with in-memory
 * activities that behave like the database ones (src/api/approvals/approvals.int.test.ts runs
 * the real ones): approve, reject, the requester refused, a deduction that no longer fits,
 * expiry by the durable timer (72 h of workflow time in milliseconds), a decision after
 * expiry refused, and racing decisions answered one at a time.
 */
import { readFileSync } from 'node:fs';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApprovalActivities, ApprovalRecord } from '../../activities/approval.js';
import {
  approvalQuery,
  approveUpdate,
  creditApproval,
  recordedUpdate,
  rejectUpdate,
  type CreditApprovalInput,
} from '../../workflows/approval.js';
import { startTimeSkippingEnvironment } from '../support/time-skipping.js';

const HOURS_72 = 72 * 60 * 60_000;
const taskQueue = `approval-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** The approvals "table" and what was posted, as the real activities would keep them. */
const rows = new Map<string, ApprovalRecord>();
const posted: { approvalId: string; actor: string; approvedBy: string }[] = [];
const expired: string[] = [];
/** Approval ids whose deduction no longer fits the balance. */
const insufficient = new Set<string>();

const activities: ApprovalActivities = {
  recordApprovalRequest(input) {
    const existing = rows.get(input.approvalId);
    if (existing) return Promise.resolve(existing);
    const row: ApprovalRecord = {
      id: input.approvalId,
      customerId: input.customerId,
      kind: input.kind,
      amount: input.amount,
      currency: input.currency,
      status: 'pending',
      requestedBy: input.requestedBy,
      expiresAt: input.expiresAt,
      decidedBy: null,
      decisionNote: null,
      entryId: null,
    };
    rows.set(input.approvalId, row);
    return Promise.resolve(row);
  },
  approveCreditChange(input) {
    const row = rows.get(input.approvalId);
    if (!row) throw new Error('no such approval');
    if (row.status !== 'pending') return Promise.resolve(row);
    if (insufficient.has(input.approvalId)) {
      return Promise.reject(
        ApplicationFailure.create({
          type: 'insufficient_credit',
          message: 'Available credit 100 is less than the 60000 required.',
          nonRetryable: true,
          details: [{ available: 100, required: 60_000 }],
        }),
      );
    }
    posted.push({ approvalId: row.id, actor: row.requestedBy, approvedBy: input.decidedBy });
    const next: ApprovalRecord = {
      ...row,
      status: 'approved',
      decidedBy: input.decidedBy,
      decisionNote: input.note,
      entryId: `ent_${row.id}`,
    };
    rows.set(row.id, next);
    return Promise.resolve(next);
  },
  rejectCreditChange(input) {
    const row = rows.get(input.approvalId);
    if (!row) throw new Error('no such approval');
    if (row.status !== 'pending') return Promise.resolve(row);
    const next: ApprovalRecord = { ...row, status: 'rejected', decidedBy: input.decidedBy, decisionNote: input.note };
    rows.set(row.id, next);
    return Promise.resolve(next);
  },
  expireCreditApproval(input) {
    const row = rows.get(input.approvalId);
    if (!row) throw new Error('no such approval');
    if (row.status !== 'pending') return Promise.resolve(row);
    expired.push(row.id);
    const next: ApprovalRecord = { ...row, status: 'expired' };
    rows.set(row.id, next);
    return Promise.resolve(next);
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let counter = 0;

function input(overrides: Partial<CreditApprovalInput> = {}): CreditApprovalInput {
  counter += 1;
  return {
    approvalId: `apr_TEST${String(counter).padStart(22, '0')}`,
    customerId: 'cus_ada',
    kind: 'grant',
    amount: 60_000,
    currency: 'USD',
    reason: 'goodwill',
    note: null,
    requestedBy: 'alice',
    requestId: null,
    ttlMs: HOURS_72,
    idempotencyScope: 'alice',
    idempotencyKey: `key-${counter}`,
    ...overrides,
  };
}

async function start(args: CreditApprovalInput): Promise<WorkflowHandle<typeof creditApproval>> {
  const handle = await env.client.workflow.start(creditApproval, {
    workflowId: `approval-${args.approvalId}`,
    taskQueue,
    args: [args],
  });
  await handle.executeUpdate(recordedUpdate);
  return handle;
}

/** The typed failure of a refused Update (validator or handler). */
async function refusalOf(promise: Promise<unknown>): Promise<{ type: string | undefined; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return {
      type: (cause as ApplicationFailure).type ?? undefined,
      details: (cause as ApplicationFailure).details?.[0],
    };
  }
  throw new Error('the Update was accepted');
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await startTimeSkippingEnvironment();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    activities,
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('creditApproval (time-skipping)', () => {
  it('records the request with a deadline of TTL after its start and answers the query', async () => {
    const args = input();
    const before = await env.currentTimeMs();
    const handle = await start(args);
    const record = await handle.query(approvalQuery);
    expect(record).toMatchObject({ id: args.approvalId, status: 'pending', requestedBy: 'alice' });
    const deadline = Date.parse(record?.expiresAt ?? '');
    expect(deadline - before).toBeGreaterThanOrEqual(HOURS_72 - 1_000);
    expect(deadline - before).toBeLessThanOrEqual(HOURS_72 + 60_000);
    await handle.executeUpdate(rejectUpdate, { args: [{ actor: 'root', note: 'cleanup' }] });
  });

  it('approve: an admin who is not the requester posts the entry (actor = requester, approvedBy = admin) and the workflow ends', async () => {
    const args = input();
    const handle = await start(args);
    const approved = await handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'root', note: 'checked with the customer' }],
    });
    expect(approved).toMatchObject({
      status: 'approved',
      decidedBy: 'root',
      decisionNote: 'checked with the customer',
      entryId: `ent_${args.approvalId}`,
    });
    expect(await handle.result()).toMatchObject({ status: 'approved' });
    expect(posted.filter((p) => p.approvalId === args.approvalId)).toEqual([
      { approvalId: args.approvalId, actor: 'alice', approvedBy: 'root' },
    ]);
  });

  it('reject: nothing is posted, the note is kept, the workflow ends', async () => {
    const args = input();
    const handle = await start(args);
    const rejected = await handle.executeUpdate(rejectUpdate, { args: [{ actor: 'root', note: 'not our policy' }] });
    expect(rejected).toMatchObject({
      status: 'rejected',
      decidedBy: 'root',
      decisionNote: 'not our policy',
      entryId: null,
    });
    expect(await handle.result()).toMatchObject({ status: 'rejected' });
    expect(posted.some((p) => p.approvalId === args.approvalId)).toBe(false);
  });

  it('the requester may not approve or reject their own request (validator: approval_self_decision), it stays pending', async () => {
    const args = input({ requestedBy: 'root' });
    const handle = await start(args);
    expect(await refusalOf(handle.executeUpdate(approveUpdate, { args: [{ actor: 'root' }] }))).toMatchObject({
      type: 'approval_self_decision',
    });
    expect(
      await refusalOf(handle.executeUpdate(rejectUpdate, { args: [{ actor: 'root', note: 'mine' }] })),
    ).toMatchObject({ type: 'approval_self_decision' });
    expect(await handle.query(approvalQuery)).toMatchObject({ status: 'pending' });
    expect(posted.some((p) => p.approvalId === args.approvalId)).toBe(false);
    await handle.executeUpdate(approveUpdate, { args: [{ actor: 'admin2' }] });
    expect(await handle.result()).toMatchObject({ status: 'approved', decidedBy: 'admin2' });
  });

  it('a deduction that no longer fits fails the Update with insufficient_credit and the approval stays pending', async () => {
    const args = input({ kind: 'deduction' });
    insufficient.add(args.approvalId);
    const handle = await start(args);
    expect(await refusalOf(handle.executeUpdate(approveUpdate, { args: [{ actor: 'root' }] }))).toMatchObject({
      type: 'insufficient_credit',
      details: { available: 100, required: 60_000 },
    });
    expect(await handle.query(approvalQuery)).toMatchObject({ status: 'pending' });
    insufficient.delete(args.approvalId);
    expect(await handle.executeUpdate(approveUpdate, { args: [{ actor: 'root' }] })).toMatchObject({
      status: 'approved',
    });
    await handle.result();
  });

  it('expires by its durable timer after 72 h of workflow time, and a decision afterwards is refused', async () => {
    const args = input();
    const handle = await start(args);
    const before = await env.currentTimeMs();
    // Waiting for the result lets the test server skip time to the timer.
    expect(await handle.result()).toMatchObject({ status: 'expired', decidedBy: null });
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(HOURS_72 - 1_000);
    expect(expired).toContain(args.approvalId);
    expect(rows.get(args.approvalId)?.status).toBe('expired');
    await expect(handle.executeUpdate(approveUpdate, { args: [{ actor: 'root' }] })).rejects.toThrow();
    expect(posted.some((p) => p.approvalId === args.approvalId)).toBe(false);
  });

  it('a decision within the deadline wins over the timer: after 71 h an approve still posts', async () => {
    const args = input();
    const handle = await start(args);
    await env.sleep(71 * 60 * 60_000);
    expect(await handle.executeUpdate(approveUpdate, { args: [{ actor: 'root' }] })).toMatchObject({
      status: 'approved',
    });
    expect(await handle.result()).toMatchObject({ status: 'approved' });
    expect(expired).not.toContain(args.approvalId);
  });

  it('10 racing approvals: one decision runs, the others are refused with approval_not_pending', async () => {
    const args = input();
    const handle = await start(args);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => handle.executeUpdate(approveUpdate, { args: [{ actor: `admin${i}` }] })),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    expect(accepted).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        const cause = (r.reason as WorkflowUpdateFailedError).cause as ApplicationFailure;
        expect(cause.type).toBe('approval_not_pending');
      }
    }
    expect(posted.filter((p) => p.approvalId === args.approvalId)).toHaveLength(1);
    expect(await handle.result()).toMatchObject({ status: 'approved' });
  });
});
