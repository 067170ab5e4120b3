/**
 * A bounded concurrent workload of money movements: grants and deductions (support), purchases
 * (storefront) and refunds (support) across a few hot accounts (contention on one row) and
 * many cold ones. Some requests are meant to fail (more than the available credit, an inactive
 * product, a foreign currency, a refund above what is refundable), some are sent twice
 * concurrently with the same Idempotency-Key (a client's duplicate), and every operation is
 * driven to a final answer by a client that retries with the same key. Reproducible choices
 * (seeded PRNG); the interleaving is whatever the machine makes of it.
 */
import { execute, History, type ApiTarget, type Operation, type RetryPolicy, CLIENT_RETRY } from './history.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence of choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Actor {
  readonly name: string;
  readonly token: string;
}

export interface WorkloadOptions {
  /** One API, or a round robin over several (picked per request). */
  readonly apiUrl: ApiTarget;
  readonly storefront: Actor;
  readonly support: Actor;
  /** Contended accounts: most operations go here. */
  readonly hot: readonly string[];
  readonly cold: readonly string[];
  /** Logical operations to run (each may take several requests). */
  readonly operations: number;
  readonly concurrency: number;
  readonly seed: number;
  /** Stop starting new operations after this long (the bound of the run). */
  readonly maxDurationMs: number;
  readonly retry?: RetryPolicy;
  /** Share of operations a client sends twice at once with the same key (default 0.1). */
  readonly duplicateRate?: number;
  /** Share of operations on the hot accounts (default 0.6). */
  readonly hotShare?: number;
  /** Stop starting new operations once aborted (a bound set by the caller's schedule, not by time). */
  readonly stop?: AbortSignal;
  /** Called between operations (e.g. to inject a fault every n operations). */
  readonly onProgress?: (started: number) => Promise<void> | void;
}

/** Purchasable seeds of platform-mock (USD), plus two that must fail. */
const PRODUCTS = [
  { id: 'prod_cable', weight: 5 },
  { id: 'prod_mouse', weight: 4 },
  { id: 'prod_keyboard', weight: 2 },
  { id: 'prod_lamp', weight: 0.3 }, // inactive → 422 product_unavailable
  { id: 'prod_mug', weight: 0.3 }, // EUR on a USD account → 422 currency_mismatch
] as const;

let keySeq = 0;
export function opKey(kind: string, seed: number): string {
  keySeq += 1;
  return `hist-${kind}-${seed}-${process.pid}-${keySeq}-${Date.now().toString(36)}`;
}

export interface Workload {
  readonly history: History;
  /** Operations that were sent twice at once with the same key (duplicates). */
  readonly duplicates: number;
  readonly durationMs: number;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function pickWeighted<T extends { weight: number }>(random: () => number, items: readonly T[]): T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let r = random() * total;
  for (const item of items) {
    r -= item.weight;
    if (r <= 0) return item;
  }
  const last = items[items.length - 1];
  if (!last) throw new Error('pick from an empty list');
  return last;
}

/**
 * Starts each account with a grant (recorded like any other operation), then runs the mix.
 * Returns when every operation has a final answer or its client gave up.
 */
export async function runWorkload(options: WorkloadOptions, history: History = new History()): Promise<Workload> {
  const random = seededRandom(options.seed);
  const retry = options.retry ?? CLIENT_RETRY;
  const started = Date.now();
  const accounts = [...options.hot, ...options.cold];

  const grant = (customerId: string, amount: number): Operation =>
    history.add({
      kind: 'grant',
      key: opKey('grant', options.seed),
      actor: options.support.name,
      token: options.support.token,
      method: 'POST',
      path: `/v1/customers/${customerId}/credit/grants`,
      body: { amount, currency: 'USD', reason: 'goodwill' },
      customerId,
    });
  // Opening balances: hot accounts enough for a while, cold ones for a purchase or two.
  await Promise.all(
    accounts.map((customerId) =>
      execute(options.apiUrl, grant(customerId, options.hot.includes(customerId) ? 60_000 : 12_000), retry, random),
    ),
  );

  /** Purchases acknowledged so far, candidates for refunds. */
  const purchases: { id: string; customerId: string; total: number }[] = [];
  let duplicates = 0;
  let next = 0;

  const nextOperation = (): Operation => {
    const customerId = random() < (options.hotShare ?? 0.6) ? pick(random, options.hot) : pick(random, options.cold);
    const roll = random();
    if (roll < 0.45) {
      const product = pickWeighted(random, PRODUCTS);
      return history.add({
        kind: 'purchase',
        key: opKey('buy', options.seed),
        actor: options.storefront.name,
        token: options.storefront.token,
        method: 'POST',
        path: '/v1/purchases',
        body: { customerId, productId: product.id, quantity: random() < 0.8 ? 1 : 2 },
        customerId,
      });
    }
    if (roll < 0.6 && purchases.length > 0) {
      const target = pick(random, purchases);
      // Sometimes more than the total: refused with 422, nothing written.
      const amount =
        random() < 0.15 ? target.total + 1 : Math.max(1, Math.floor(target.total * (0.2 + random() * 0.5)));
      return history.add({
        kind: 'refund',
        key: opKey('refund', options.seed),
        actor: options.support.name,
        token: options.support.token,
        method: 'POST',
        path: `/v1/purchases/${target.id}/refunds`,
        body: { amount, reason: 'goodwill' },
        customerId: target.customerId,
        purchaseId: target.id,
      });
    }
    if (roll < 0.78) return grant(customerId, 100 + Math.floor(random() * 5000));
    // Deductions: some larger than what is left (409 insufficient_credit).
    const amount = random() < 0.2 ? 200_000 : 100 + Math.floor(random() * 4000);
    return history.add({
      kind: 'deduction',
      key: opKey('deduct', options.seed),
      actor: options.support.name,
      token: options.support.token,
      method: 'POST',
      path: `/v1/customers/${customerId}/credit/deductions`,
      body: { amount, currency: 'USD', reason: 'correction', note: 'history checker' },
      customerId,
    });
  };

  const client = async (): Promise<void> => {
    while (
      next < options.operations &&
      Date.now() - started < options.maxDurationMs &&
      !(options.stop?.aborted ?? false)
    ) {
      next += 1;
      await options.onProgress?.(next);
      const op = nextOperation();
      // One in ten is a client's duplicate: the same request twice, at once, with the same key.
      if (random() < (options.duplicateRate ?? 0.1)) {
        duplicates += 1;
        const twin: Operation = history.add({ ...op, key: op.key });
        await Promise.all([execute(options.apiUrl, op, retry, random), execute(options.apiUrl, twin, retry, random)]);
      } else {
        await execute(options.apiUrl, op, retry, random);
      }
      if (op.kind === 'purchase' && op.outcome === 'acknowledged' && op.final) {
        const body = op.final.body as { id?: unknown; total?: unknown };
        if (typeof body.id === 'string' && typeof body.total === 'number' && body.total > 0)
          purchases.push({ id: body.id, customerId: op.customerId, total: body.total });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => client()));
  return { history, duplicates, durationMs: Date.now() - started };
}
