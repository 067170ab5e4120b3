/**
 * The history checker: given every request and response of a workload, proves from the
 * database and the platform that
 *
 * - nothing was lost: every acknowledged operation (201) is in the books exactly as answered
 *   (the entry with its id, amount and balance_after; the purchase with its total; the refund);
 * - nothing was doubled: every ledger entry, purchase and refund is explained by exactly one
 *   acknowledged operation (one idempotency key → at most one movement), every completed
 *   purchase has one shipment and no shipment exists without a purchase;
 * - every failed operation (a final 4xx or 502) left nothing: no entry, no purchase, no refund,
 *   no pending hold, no live shipment;
 * - replays agree: every final answer given for one key is the same answer;
 * - no overdraft, and the balances are what the acknowledged history says they are: per account,
 *   Σ grants − Σ deductions − Σ purchase totals + Σ refunds = balance = Σ entries, held = 0;
 * - I1–I5, the money invariants (test/support/invariants.ts; README, "Money invariants").
 */
import { sql } from 'drizzle-orm';
import { canonicalJson } from '../../src/api/idempotency.js';
import type { Database } from '../../src/db/client.js';
import { ledgerViolations, purchaseViolations, type Violation } from '../support/invariants.js';
import type { History, Operation } from './history.js';

async function rows<T>(database: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await database.db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

export interface CheckReport {
  /** Logical operations (distinct idempotency keys). */
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Operations whose client never got a final answer (allowed either way, listed). */
  readonly unknown: number;
  /** HTTP requests sent, retries and duplicates included. */
  readonly requests: number;
  readonly statuses: Record<string, number>;
  readonly byKind: Record<string, { acknowledged: number; failed: number; unknown: number }>;
  readonly violations: Violation[];
}

interface EntryRow {
  id: string;
  customer_id: string;
  type: string;
  amount: string;
  balance_after: string;
  purchase_id: string | null;
  refund_id: string | null;
  idempotency_key: string;
}
interface PurchaseRow {
  id: string;
  customer_id: string;
  total: string;
  refunded_amount: string;
}
interface RefundRow {
  id: string;
  purchase_id: string;
  amount: string;
}
interface KeyRow {
  key: string;
  resource_id: string;
}

const num = (v: string | number | null | undefined): number => Number(v ?? 0);

/** Operations grouped by idempotency key: duplicates sent at once are one logical operation. */
function logical(history: History): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of history.operations) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  return byKey;
}

function outcomeOf(ops: Operation[]): { outcome: 'acknowledged' | 'failed' | 'unknown'; final: Operation['final'] } {
  const decided = ops.find((o) => o.final !== null);
  return decided ? { outcome: decided.outcome, final: decided.final } : { outcome: 'unknown', final: null };
}

export async function checkHistory(
  history: History,
  ctx: { database: Database; platformUrl: string },
): Promise<CheckReport> {
  const violations: Violation[] = [];
  const v = (invariant: string, detail: string): void => {
    violations.push({ invariant, detail });
  };
  const entries = await rows<EntryRow>(
    ctx.database,
    sql`select id, customer_id, type, amount, balance_after, purchase_id, refund_id, idempotency_key from ledger_entries`,
  );
  const purchases = await rows<PurchaseRow>(
    ctx.database,
    sql`select id, customer_id, total, refunded_amount from purchases`,
  );
  const refunds = await rows<RefundRow>(ctx.database, sql`select id, purchase_id, amount from refunds`);
  const keys = await rows<KeyRow>(ctx.database, sql`select key, resource_id from idempotency_keys`);
  const accounts = await rows<{ customer_id: string; balance: string; held: string }>(
    ctx.database,
    sql`select customer_id, balance, held from credit_accounts`,
  );
  const holds = await rows<{ purchase_id: string; status: string }>(
    ctx.database,
    sql`select purchase_id, status from credit_holds`,
  );
  const shipments = (
    (await (await fetch(`${ctx.platformUrl}/shipments`)).json()) as {
      data: { id: string; status: string; idempotencyKey?: string }[];
    }
  ).data;

  const entryById = new Map(entries.map((e) => [e.id, e]));
  const purchaseById = new Map(purchases.map((p) => [p.id, p]));
  const refundById = new Map(refunds.map((r) => [r.id, r]));
  const resourceByKey = new Map(keys.map((k) => [k.key, k.resource_id]));
  const holdByPurchase = new Map(holds.map((h) => [h.purchase_id, h.status]));

  const explainedEntries = new Set<string>();
  const acknowledgedPurchases = new Set<string>();
  const acknowledgedRefunds = new Set<string>();
  /** Resources whose operation's outcome is unknown: they may or may not exist. */
  const maybe = new Set<string>();
  const expected = new Map<string, number>();
  const add = (customerId: string, amount: number): void => {
    expected.set(customerId, (expected.get(customerId) ?? 0) + amount);
  };
  const byKind: CheckReport['byKind'] = {};
  const groups = logical(history);

  for (const [key, ops] of groups) {
    const first = ops[0];
    if (!first) continue;
    const { outcome, final } = outcomeOf(ops);
    const kind = (byKind[first.kind] ??= { acknowledged: 0, failed: 0, unknown: 0 });
    kind[outcome] += 1;

    // Replays agree: every final answer for this key is the same status and body.
    const finals = ops.flatMap((o) =>
      o.requests.filter(
        (r) =>
          r.status !== null &&
          r.status !== 202 &&
          !(r.status >= 500 && r.status !== 502) &&
          r.status !== 429 &&
          !(r.status === 409 && (r.body as { code?: string } | null)?.code === 'idempotency_key_in_use'),
      ),
    );
    for (const r of finals) {
      const a = canonicalJson(stripVolatile(r.body));
      const b = canonicalJson(stripVolatile(final?.body));
      if (r.status !== final?.status || a !== b)
        v(
          'replay',
          `${first.kind} ${key}: answered ${r.status} ${a.slice(0, 200)} and ${final?.status} ${b.slice(0, 200)}`,
        );
    }
    const resource = resourceByKey.get(key);

    if (outcome === 'unknown') {
      if (resource) maybe.add(resource);
      continue;
    }
    const body = final?.body ?? {};
    if (first.kind === 'grant' || first.kind === 'deduction') {
      if (outcome === 'acknowledged') {
        const entry = (body as { entry?: { id?: string; amount?: number; balanceAfter?: number } }).entry;
        const row = entry?.id ? entryById.get(entry.id) : undefined;
        if (!row) {
          v('lost', `${first.kind} ${key} answered 201 with entry ${entry?.id ?? '?'}, which is not in the ledger`);
          continue;
        }
        explainedEntries.add(row.id);
        const amount = first.kind === 'grant' ? num(first.body.amount as number) : -num(first.body.amount as number);
        if (num(row.amount) !== amount || row.customer_id !== first.customerId || row.type !== first.kind)
          v(
            'lost',
            `${first.kind} ${key}: entry ${row.id} is ${row.type} ${row.amount} on ${row.customer_id}, asked ${amount} on ${first.customerId}`,
          );
        if (num(row.balance_after) !== entry?.balanceAfter)
          v(
            'lost',
            `${first.kind} ${key}: answered balanceAfter ${entry?.balanceAfter}, ledger says ${row.balance_after}`,
          );
        add(first.customerId, amount);
      } else {
        const leaked = entries.filter((e) => e.idempotency_key.endsWith(`:${key}`));
        if (leaked.length > 0)
          v(
            'failed-present',
            `${first.kind} ${key} answered ${final?.status} but the ledger has ${leaked.map((e) => e.id).join(', ')}`,
          );
      }
    } else if (first.kind === 'purchase') {
      const purchaseId = outcome === 'acknowledged' ? (body as { id?: string }).id : resource;
      if (outcome === 'acknowledged') {
        const row = purchaseId ? purchaseById.get(purchaseId) : undefined;
        if (!row || !purchaseId) {
          v('lost', `purchase ${key} answered 201 (${purchaseId ?? '?'}) but is not in the books`);
          continue;
        }
        acknowledgedPurchases.add(purchaseId);
        if (num(row.total) !== (body as { total?: number }).total || row.customer_id !== first.customerId)
          v(
            'lost',
            `purchase ${purchaseId}: books say total ${row.total} for ${row.customer_id}, answer said ${(body as { total?: number }).total}`,
          );
        add(first.customerId, -num(row.total));
      } else if (purchaseId) {
        if (purchaseById.has(purchaseId))
          v('failed-present', `purchase ${key} answered ${final?.status} but purchase ${purchaseId} exists`);
        const leaked = entries.filter((e) => e.purchase_id === purchaseId);
        if (leaked.length > 0)
          v(
            'failed-present',
            `purchase ${key} answered ${final?.status} but has entries ${leaked.map((e) => e.id).join(', ')}`,
          );
        const hold = holdByPurchase.get(purchaseId);
        if (hold !== undefined && hold !== 'released')
          v('failed-present', `purchase ${key} answered ${final?.status} but its hold is ${hold}`);
        const live = shipments.filter((s) => s.idempotencyKey === purchaseId && s.status !== 'cancelled');
        if (live.length > 0)
          v('failed-present', `purchase ${key} answered ${final?.status} but ${live.length} live shipment(s) exist`);
      }
    } else {
      const refundId = outcome === 'acknowledged' ? (body as { id?: string }).id : resource;
      if (outcome === 'acknowledged') {
        const row = refundId ? refundById.get(refundId) : undefined;
        if (!row || !refundId) {
          v('lost', `refund ${key} answered 201 (${refundId ?? '?'}) but is not in the books`);
          continue;
        }
        acknowledgedRefunds.add(refundId);
        if (num(row.amount) !== (body as { amount?: number }).amount || row.purchase_id !== first.purchaseId)
          v('lost', `refund ${refundId}: books say ${row.amount} on ${row.purchase_id}`);
        add(first.customerId, num(row.amount));
      } else if (refundId) {
        if (refundById.has(refundId))
          v('failed-present', `refund ${key} answered ${final?.status} but refund ${refundId} exists`);
        if (entries.some((e) => e.refund_id === refundId))
          v('failed-present', `refund ${key} answered ${final?.status} but has a ledger entry`);
      }
    }
  }

  // Nothing doubled, nothing unexplained: every movement belongs to one acknowledged operation.
  const ours = new Set(history.operations.map((o) => o.customerId));
  for (const e of entries) {
    if (!ours.has(e.customer_id)) continue;
    const explained =
      e.type === 'purchase'
        ? acknowledgedPurchases.has(e.purchase_id ?? '') || maybe.has(e.purchase_id ?? '')
        : e.type === 'refund'
          ? acknowledgedRefunds.has(e.refund_id ?? '') || maybe.has(e.refund_id ?? '')
          : explainedEntries.has(e.id);
    if (!explained) {
      const unknownKey = [...groups.keys()].find((k) => e.idempotency_key.endsWith(`:${k}`));
      const unknownOp = unknownKey ? outcomeOf(groups.get(unknownKey) ?? []).outcome === 'unknown' : false;
      if (!unknownOp)
        v(
          'doubled',
          `entry ${e.id} (${e.type} ${e.amount} on ${e.customer_id}) is explained by no acknowledged operation`,
        );
    }
  }
  for (const p of purchases) {
    if (ours.has(p.customer_id) && !acknowledgedPurchases.has(p.id) && !maybe.has(p.id))
      v('doubled', `purchase ${p.id} exists but no operation was acknowledged with it`);
  }
  for (const r of refunds) {
    const purchase = purchaseById.get(r.purchase_id);
    if (purchase && ours.has(purchase.customer_id) && !acknowledgedRefunds.has(r.id) && !maybe.has(r.id))
      v('doubled', `refund ${r.id} exists but no operation was acknowledged with it`);
  }
  const purchaseIds = new Set(purchases.map((p) => p.id));
  for (const s of shipments) {
    const key = s.idempotencyKey ?? '';
    if (key.startsWith('pur_') && !purchaseIds.has(key) && s.status !== 'cancelled' && !maybe.has(key))
      v('doubled', `shipment ${s.id} (${key}) exists but there is no purchase`);
  }

  // The balances the acknowledged history implies (only when every operation was decided).
  const undecided = [...groups.values()].filter((ops) => outcomeOf(ops).outcome === 'unknown').length;
  for (const a of accounts) {
    if (!ours.has(a.customer_id)) continue;
    if (num(a.held) !== 0) v('I5', `${a.customer_id}: ${a.held} still held after the workload`);
    if (num(a.balance) < 0 || num(a.balance) - num(a.held) < 0)
      v('overdraft', `${a.customer_id}: balance ${a.balance}, held ${a.held}`);
    if (undecided === 0 && num(a.balance) !== (expected.get(a.customer_id) ?? 0)) {
      v(
        'balance',
        `${a.customer_id}: balance ${a.balance}, the acknowledged history says ${expected.get(a.customer_id) ?? 0}`,
      );
    }
  }

  violations.push(...(await ledgerViolations(ctx.database)), ...(await purchaseViolations(ctx)));
  const outcomes = [...groups.values()].map((ops) => outcomeOf(ops).outcome);
  return {
    attempted: groups.size,
    acknowledged: outcomes.filter((o) => o === 'acknowledged').length,
    failed: outcomes.filter((o) => o === 'failed').length,
    unknown: undecided,
    requests: history.requestCount(),
    statuses: history.statusCounts(),
    byKind,
    violations,
  };
}

/** Fields that legitimately differ between the answers of one key (none in bodies but the request id). */
function stripVolatile(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const { requestId: _requestId, ...rest } = body as Record<string, unknown>;
  return rest;
}
