/**
 * Approvals of large credit changes through the API, on the real stack (Postgres, Temporal
 * dev server and worker, platform-mock): a support change at or above APPROVAL_THRESHOLD waits
 * for an admin; the `creditApproval` workflow posts it when approved. Every test ends with the
 * ledger invariants (useStack).
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type {
  Approval,
  ApprovalDecision,
  ApprovalList,
  ApprovalRequested,
  CreditBalance,
  CreditMovementResponse,
  LedgerEntryList,
  Problem,
} from '../../contracts/index.js';
import { approveAndPost } from '../../db/approval-repository.js';
import { http, newKey, type HttpResult } from '../../../test/support/http.js';
import { API_TOKENS, TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';
import { PlatformControl } from '../../../test/support/platform.js';
import { startSecondApi } from '../../../test/support/second-api.js';
import { until } from '../../../test/support/wait.js';

const ADMIN2 = 'test_admin2_token';
const TOKENS_WITH_ADMIN2 = `${API_TOKENS},carol:admin:${ADMIN2}`;
/** The same service after alice was promoted to admin (API_TOKENS changed while her request waits). */
const ALICE_ADMIN = 'test_alice_admin_token';
const TOKENS_ALICE_PROMOTED = TOKENS_WITH_ADMIN2.replace(
  `alice:support:${TOKENS.support}`,
  `alice:admin:${ALICE_ADMIN}`,
);

const THRESHOLD = 50_000;

/** A problem's members beside a success body's (the HTTP status is the result's, not the body's). */
type Refusal = Partial<Omit<Problem, 'status'>>;
/** What a grant or deduction may answer: the approval (202), the entry (201) or a problem. */
type MoveAnswer = Partial<ApprovalRequested> & Partial<CreditMovementResponse> & Refusal;

interface Session {
  stack: TestStack;
}

function newCustomer(stack: TestStack): Promise<string> {
  return new PlatformControl(stack.platformUrl).newCustomer();
}

function helpers(session: Session) {
  const url = (path: string): string => `${session.stack.apiUrl}${path}`;
  const move = (
    kind: 'grants' | 'deductions',
    customerId: string,
    amount: number,
    options: { token?: string; key?: string; note?: string } = {},
  ) =>
    http<MoveAnswer>('POST', url(`/v1/customers/${customerId}/credit/${kind}`), {
      token: options.token ?? TOKENS.support,
      idempotencyKey: options.key ?? newKey(kind),
      body: {
        amount,
        currency: 'USD',
        reason: kind === 'grants' ? 'goodwill' : 'correction',
        note: options.note ?? 'large change',
      },
    });
  const approval = (id: string) =>
    http<Approval & Refusal>('GET', url(`/v1/approvals/${id}`), { token: TOKENS.support });
  const approve = (id: string, token: string = TOKENS.admin, note?: string) =>
    http<ApprovalDecision & Refusal>('POST', url(`/v1/approvals/${id}/approve`), {
      token,
      body: note === undefined ? {} : { note },
    });
  const reject = (id: string, note: string | undefined, token: string = TOKENS.admin) =>
    http<Approval & Refusal>('POST', url(`/v1/approvals/${id}/reject`), {
      token,
      body: note === undefined ? {} : { note },
    });
  const credit = (customerId: string) =>
    http<CreditBalance>('GET', url(`/v1/customers/${customerId}/credit`), { token: TOKENS.support }).then(
      (r) => r.body,
    );
  const entries = async (customerId: string) =>
    (await http<LedgerEntryList>('GET', url(`/v1/customers/${customerId}/credit/entries`), { token: TOKENS.support }))
      .body.data;
  return { url, move, approval, approve, reject, credit, entries };
}

function expectPending(res: HttpResult<MoveAnswer>): string {
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(Object.keys(res.body).sort()).toEqual(['approvalId', 'expiresAt', 'status']);
  expect(res.body.status).toBe('pending');
  expect(res.body.approvalId).toMatch(/^apr_[0-9A-Z]{26}$/);
  expect(Date.parse(res.body.expiresAt ?? '')).toBeGreaterThan(Date.now());
  const approvalId = res.body.approvalId ?? '';
  expect(res.headers.get('location')).toBe(`/v1/approvals/${approvalId}`);
  return approvalId;
}

describe('approvals (threshold 50000, TTL 72 h)', () => {
  const session = {} as Session;
  useStack({ env: { APPROVAL_THRESHOLD: String(THRESHOLD), API_TOKENS: TOKENS_WITH_ADMIN2 } }, (started) => {
    session.stack = started;
  });
  const h = helpers(session);

  it('a support grant at the threshold waits for an admin; the approved entry names both; replaying the key gives the approval, then the outcome', async () => {
    const customerId = await newCustomer(session.stack);
    const key = newKey('big-grant');
    const requested = await h.move('grants', customerId, THRESHOLD, { key, note: 'compensation for the outage' });
    const approvalId = expectPending(requested);
    expect(await h.credit(customerId)).toMatchObject({ balance: 0 });

    const pending = await h.approval(approvalId);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({
      id: approvalId,
      customerId,
      kind: 'grant',
      amount: THRESHOLD,
      currency: 'USD',
      reason: 'goodwill',
      note: 'compensation for the outage',
      requestedBy: 'alice',
      status: 'pending',
      decidedBy: null,
      entryId: null,
      expiresAt: requested.body.expiresAt,
      workflowId: `approval-${approvalId}`,
    });
    const ttl = Date.parse(pending.body.expiresAt) - Date.parse(pending.body.requestedAt);
    expect(ttl).toBeGreaterThan(72 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(72 * 3600_000 + 60_000);
    const listed = await http<ApprovalList>('GET', h.url(`/v1/approvals?status=pending&customerId=${customerId}`), {
      token: TOKENS.support,
    });
    expect(listed.body.data.map((a) => a.id)).toEqual([approvalId]);

    const replayPending = await h.move('grants', customerId, THRESHOLD, { key, note: 'compensation for the outage' });
    expect(replayPending.headers.get('idempotent-replayed')).toBe('true');
    expect(replayPending.body).toEqual(requested.body);
    expect(replayPending.status).toBe(202);

    const decided = await h.approve(approvalId, TOKENS.admin, 'confirmed with finance');
    expect(decided.status, JSON.stringify(decided.body)).toBe(201);
    expect(decided.body.approval).toMatchObject({
      status: 'approved',
      decidedBy: 'root',
      decisionNote: 'confirmed with finance',
      entryId: decided.body.entry.id,
    });
    expect(decided.body.entry).toMatchObject({
      type: 'grant',
      amount: THRESHOLD,
      actor: 'alice',
      approvedBy: 'root',
      balanceAfter: THRESHOLD,
      note: 'compensation for the outage',
    });
    expect(decided.body.credit).toMatchObject({ balance: THRESHOLD, available: THRESHOLD });
    expect((await h.entries(customerId)).map((e) => [e.id, e.actor, e.approvedBy])).toEqual([
      [decided.body.entry.id, 'alice', 'root'],
    ]);

    const replayDone = await h.move('grants', customerId, THRESHOLD, { key, note: 'compensation for the outage' });
    expect(replayDone.status).toBe(201);
    expect(replayDone.headers.get('idempotent-replayed')).toBe('true');
    expect(replayDone.body.entry?.id).toBe(decided.body.entry.id);

    const again = await h.approve(approvalId, TOKENS.admin);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('approval_not_pending');
    expect(await h.credit(customerId)).toMatchObject({ balance: THRESHOLD });
  });

  it('approve takes an absent body as {}: no body and no Content-Type post the change; a body of another type is 415', async () => {
    const customerId = await newCustomer(session.stack);
    const approvalId = expectPending(await h.move('grants', customerId, THRESHOLD));
    const approveUrl = h.url(`/v1/approvals/${approvalId}/approve`);
    const asText = await http<Problem>('POST', approveUrl, {
      token: TOKENS.admin,
      rawBody: 'ok',
      headers: { 'content-type': 'text/plain' },
    });
    expect(asText.status).toBe(415);
    expect(asText.body.code).toBe('unsupported_media_type');
    expect((await h.approval(approvalId)).body.status).toBe('pending');
    // What Schemathesis sent (the document's body is optional): a POST with no body and no Content-Type.
    const bare = await fetch(approveUrl, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.admin}` } });
    const decided = (await bare.json()) as ApprovalDecision;
    expect(bare.status, JSON.stringify(decided)).toBe(201);
    expect(decided.approval).toMatchObject({ status: 'approved', decidedBy: 'root', decisionNote: null });
    expect(decided.entry).toMatchObject({ type: 'grant', amount: THRESHOLD, actor: 'alice', approvedBy: 'root' });
    expect(await h.credit(customerId)).toMatchObject({ balance: THRESHOLD });
    const document = (await (await fetch(h.url('/v1/openapi.json'))).json()) as {
      paths: Record<string, Record<string, { requestBody?: { required?: boolean } }>>;
    };
    expect(document.paths['/v1/approvals/{approvalId}/approve']?.post?.requestBody?.required).toBe(false);
  });

  it('below the threshold support posts at once; an admin posts at once whatever the amount', async () => {
    const customerId = await newCustomer(session.stack);
    const small = await h.move('grants', customerId, THRESHOLD - 1);
    expect(small.status).toBe(201);
    expect(small.body.entry).toMatchObject({ actor: 'alice', approvedBy: null });
    const admin = await h.move('grants', customerId, 10 * THRESHOLD, { token: TOKENS.admin });
    expect(admin.status).toBe(201);
    expect(admin.body.entry).toMatchObject({ actor: 'root', approvedBy: null });
    expect(await h.credit(customerId)).toMatchObject({ balance: 11 * THRESHOLD - 1 });
  });

  it('the requester may not decide their own request, not even once promoted to admin (403 approval_self_decision); it stays pending', async () => {
    const customerId = await newCustomer(session.stack);
    const approvalId = expectPending(await h.move('grants', customerId, 70_000));
    const promoted = await startSecondApi(session.stack, { API_TOKENS: TOKENS_ALICE_PROMOTED });
    try {
      const self = await http<Problem>('POST', `${promoted.apiUrl}/v1/approvals/${approvalId}/approve`, {
        token: ALICE_ADMIN,
        body: {},
      });
      expect(self.status).toBe(403);
      expect(self.body.code).toBe('approval_self_decision');
      const selfReject = await http<Problem>('POST', `${promoted.apiUrl}/v1/approvals/${approvalId}/reject`, {
        token: ALICE_ADMIN,
        body: { note: 'never mind' },
      });
      expect(selfReject.status).toBe(403);
      expect(selfReject.body.code).toBe('approval_self_decision');
    } finally {
      await promoted.close();
    }
    expect((await h.approval(approvalId)).body.status).toBe('pending');
    expect(await h.credit(customerId)).toMatchObject({ balance: 0 });
    const other = await h.approve(approvalId, ADMIN2);
    expect(other.status).toBe(201);
    expect(other.body.entry).toMatchObject({ actor: 'alice', approvedBy: 'carol' });
  });

  it('a support token cannot decide, a storefront token cannot read approvals', async () => {
    const customerId = await newCustomer(session.stack);
    const approvalId = expectPending(await h.move('grants', customerId, 60_000));
    expect((await h.approve(approvalId, TOKENS.support2)).body.code).toBe('forbidden');
    expect(
      (await http<Problem>('GET', h.url(`/v1/approvals/${approvalId}`), { token: TOKENS.storefront })).body.code,
    ).toBe('forbidden');
    expect(
      (await http<Problem>('GET', h.url('/v1/approvals/apr_01JDQ8X4N2V7W3K5M9P0R1S2T3'), { token: TOKENS.support }))
        .body.code,
    ).toBe('approval_not_found');
    expect((await h.reject(approvalId, 'cleanup')).status).toBe(200);
  });

  it('reject: nothing is posted, the note is required and kept; replaying the key answers 409 approval_rejected', async () => {
    const customerId = await newCustomer(session.stack);
    const key = newKey('rejected');
    const approvalId = expectPending(await h.move('grants', customerId, 80_000, { key }));
    const noNote = await h.reject(approvalId, undefined);
    expect(noNote.status).toBe(400);
    const rejected = await h.reject(approvalId, 'no ticket for this');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      decidedBy: 'root',
      decisionNote: 'no ticket for this',
      entryId: null,
    });
    const replay = await h.move('grants', customerId, 80_000, { key });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ code: 'approval_rejected', approvalId, decisionNote: 'no ticket for this' });
    const approveAfter = await h.approve(approvalId);
    expect(approveAfter.body.code).toBe('approval_not_pending');
    expect(await h.entries(customerId)).toEqual([]);
  });

  it('a deduction that no longer fits answers 409 insufficient_credit and stays pending; approved once it fits again', async () => {
    const customerId = await newCustomer(session.stack);
    expect((await h.move('grants', customerId, 100_000, { token: TOKENS.admin })).status).toBe(201);
    const approvalId = expectPending(await h.move('deductions', customerId, 60_000));
    expect((await h.move('deductions', customerId, 50_000, { token: TOKENS.admin })).status).toBe(201);

    const refused = await h.approve(approvalId);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'insufficient_credit', available: 50_000, required: 60_000 });
    expect((await h.approval(approvalId)).body).toMatchObject({ status: 'pending', decidedBy: null });
    expect(await h.credit(customerId)).toMatchObject({ balance: 50_000 });

    expect((await h.move('grants', customerId, 10_000, { token: TOKENS.admin })).status).toBe(201);
    const approved = await h.approve(approvalId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(201);
    expect(approved.body.entry).toMatchObject({
      type: 'deduction',
      amount: -60_000,
      balanceAfter: 0,
      actor: 'alice',
      approvedBy: 'root',
    });
  });

  it('a deduction beyond the available balance is refused at request time, nothing is created', async () => {
    const customerId = await newCustomer(session.stack);
    const res = await h.move('deductions', customerId, 60_000);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('insufficient_credit');
    const listed = await http<ApprovalList>('GET', h.url(`/v1/approvals?customerId=${customerId}`), {
      token: TOKENS.support,
    });
    expect(listed.body.data).toEqual([]);
  });

  it('10 concurrent approve calls on one approval post exactly one entry', async () => {
    const customerId = await newCustomer(session.stack);
    const approvalId = expectPending(await h.move('grants', customerId, 90_000));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.approve(approvalId, i % 2 === 0 ? TOKENS.admin : ADMIN2)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('approval_not_pending');
    expect(await h.entries(customerId)).toHaveLength(1);
    expect(await h.credit(customerId)).toMatchObject({ balance: 90_000 });
  });

  it('the database alone decides racing decisions: 10 concurrent approveAndPost transactions post one entry', async () => {
    const customerId = await newCustomer(session.stack);
    const approvalId = expectPending(await h.move('grants', customerId, 55_000));
    const { db } = session.stack.database;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        db.transaction((tx) => approveAndPost(tx, { approvalId, decidedBy: `admin${i}`, note: null, requestId: null })),
      ),
    );
    expect(results.filter((r) => r.status === 'approved')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'not_pending')).toHaveLength(9);
    const count = await db.execute(
      sql`select count(*)::int as n from ledger_entries where customer_id = ${customerId}`,
    );
    expect((Array.isArray(count) ? count : (count as { rows: unknown[] }).rows)[0]).toEqual({ n: 1 });
    // The workflow still waits; its own approve now finds the approval decided.
    const late = await h.approve(approvalId);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('approval_not_pending');
    await session.stack.temporal.workflow
      .getHandle(`approval-${approvalId}`)
      .terminate('test: decided outside the workflow');
  });
});

describe('approvals that expire (TTL 3 s)', () => {
  const session = {} as Session;
  useStack(
    { env: { APPROVAL_THRESHOLD: String(THRESHOLD), APPROVAL_TTL_MS: '3000', API_TOKENS: TOKENS_WITH_ADMIN2 } },
    (started) => {
      session.stack = started;
    },
  );
  const h = helpers(session);

  it('expires by the workflow timer; it can no longer be approved; replaying the key answers 409 approval_expired', async () => {
    const customerId = await newCustomer(session.stack);
    const key = newKey('expiring');
    const approvalId = expectPending(await h.move('grants', customerId, 75_000, { key }));
    const expired = await until(
      'the approval to expire',
      async () => {
        const res = await h.approval(approvalId);
        return res.body.status === 'expired' ? res.body : null;
      },
      20_000,
    );
    expect(expired).toMatchObject({ status: 'expired', decidedBy: null, entryId: null });
    const result = (await session.stack.temporal.workflow.getHandle(`approval-${approvalId}`).result()) as {
      status: string;
    };
    expect(result.status).toBe('expired');
    const late = await h.approve(approvalId);
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'approval_not_pending', approvalStatus: 'expired' });
    const replay = await h.move('grants', customerId, 75_000, { key });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ code: 'approval_expired', approvalId });
    expect(await h.entries(customerId)).toEqual([]);
    expect(await h.credit(customerId)).toMatchObject({ balance: 0 });
  });
});
