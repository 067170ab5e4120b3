/**
 * The platform client against platform-mock (in-process) and against a deliberately broken
 * server: failure classification, response validation, and the cache's accuracy rule.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlatformMock } from '../../platform-mock/src/server.js';
import { PlatformCache } from './cache.js';
import { createPlatformClient, PlatformError } from './client.js';

let mock: Awaited<ReturnType<typeof startPlatformMock>>;
let broken: Server;
let brokenUrl: string;
let brokenBody = '{}';

beforeAll(async () => {
  mock = await startPlatformMock({ port: 0 });
  broken = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(brokenBody);
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await mock.close();
  broken.closeAllConnections();
  await new Promise((resolve) => broken.close(resolve));
});
beforeEach(async () => {
  await fetch(`${mock.url}/__control/reset`, { method: 'POST' });
});

async function fault(body: Record<string, unknown>): Promise<void> {
  await fetch(`${mock.url}/__control/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function calls(): Promise<Record<string, number>> {
  return (await (await fetch(`${mock.url}/__control/calls`)).json()) as Record<string, number>;
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof PlatformError ? error.kind : `other: ${String(error)}`;
  }
}

describe('classification', () => {
  const client = () => createPlatformClient({ baseUrl: mock.url, timeoutMs: 500 });
  it('reads and validates customers and products', async () => {
    expect((await client().getCustomer('cus_ada')).name).toBe('Ada Lovelace');
    expect((await client().getProduct('prod_mug')).price).toEqual({ amount: 1500, currency: 'EUR' });
  });
  it('classifies 404, 4xx, 5xx and timeouts', async () => {
    expect(await kindOf(client().getCustomer('cus_nobody'))).toBe('not_found');
    await fault({ operation: 'getCustomer', mode: 'error', status: 503 });
    expect(await kindOf(client().getCustomer('cus_ada'))).toBe('unavailable');
    await fault({ operation: 'getCustomer', mode: 'reject', status: 400 });
    expect(await kindOf(client().getCustomer('cus_ada'))).toBe('rejected');
    await fault({ operation: 'getCustomer', mode: 'timeout', delayMs: 1500 });
    expect(await kindOf(client().getCustomer('cus_ada'))).toBe('unavailable');
    expect(
      await kindOf(createPlatformClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 }).getCustomer('cus_ada')),
    ).toBe('unavailable');
  });
  it('turns a malformed answer into invalid_response, not a crash', async () => {
    const c = createPlatformClient({ baseUrl: brokenUrl, timeoutMs: 500 });
    brokenBody = '{"id": 42}';
    expect(await kindOf(c.getCustomer('cus_ada'))).toBe('invalid_response');
    brokenBody = 'not json';
    expect(await kindOf(c.getProduct('prod_mug'))).toBe('invalid_response');
    brokenBody = JSON.stringify({
      id: 'prod_x',
      name: 'X',
      description: '',
      price: { amount: 1.5, currency: 'USD' },
      active: true,
      updatedAt: 'now',
    });
    expect(await kindOf(c.getProduct('prod_x'))).toBe('invalid_response');
  });
});

describe('cache', () => {
  let now = 1_000_000;
  const newCache = (): PlatformCache =>
    new PlatformCache({ maxEntries: 100, ttlMs: 10_000, staleIfErrorMs: 60_000, now: () => now });

  it('serves views from the cache within the TTL, then revalidates with a 304', async () => {
    const cache = newCache();
    const client = createPlatformClient({ baseUrl: mock.url, timeoutMs: 1000, cache });
    await client.getCustomer('cus_ada');
    await client.getCustomer('cus_ada');
    expect(client.lastRead()?.cache).toBe('hit');
    expect((await calls()).getCustomer).toBe(1);
    now += 11_000;
    await client.getCustomer('cus_ada');
    expect(client.lastRead()?.cache).toBe('revalidated');
    expect((await calls()).getCustomer).toBe(2);
    expect(cache.stats).toMatchObject({ hit: 1, miss: 1, revalidated: 1 });
  });

  it('never serves money reads from the cache: fresh reads always ask, and see changes at once', async () => {
    const cache = newCache();
    const client = createPlatformClient({ baseUrl: mock.url, timeoutMs: 1000, cache });
    expect((await client.getProduct('prod_cable', { fresh: true })).price.amount).toBe(999);
    expect((await client.getProduct('prod_cable', { fresh: true })).price.amount).toBe(999);
    expect(client.lastRead()?.cache).toBe('revalidated');
    await fetch(`${mock.url}/products/prod_cable`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ price: { amount: 1099, currency: 'USD' } }),
    });
    // A view may still show the old price within its TTL; a money read never does.
    expect((await client.getProduct('prod_cable')).price.amount).toBe(999);
    expect((await client.getProduct('prod_cable', { fresh: true })).price.amount).toBe(1099);
    expect((await calls()).getProduct).toBe(3);
  });

  it('serves a stale view during an outage (within stale-if-error) but never a money read', async () => {
    const cache = newCache();
    const client = createPlatformClient({ baseUrl: mock.url, timeoutMs: 1000, cache });
    await client.getCustomer('cus_grace');
    now += 20_000;
    await fault({ operation: 'getCustomer', mode: 'error', status: 503, times: -1 });
    expect((await client.getCustomer('cus_grace')).name).toBe('Grace Hopper');
    expect(client.lastRead()?.cache).toBe('stale_if_error');
    expect(await kindOf(client.getCustomer('cus_grace', { fresh: true }))).toBe('unavailable');
    expect(await kindOf(client.getCustomer('cus_alan'))).toBe('unavailable');
    now += 60_000;
    expect(await kindOf(client.getCustomer('cus_grace'))).toBe('unavailable');
    await fetch(`${mock.url}/__control/faults`, { method: 'DELETE' });
  });

  it('keeps memory bounded', async () => {
    const cache = new PlatformCache({ maxEntries: 2, ttlMs: 10_000, staleIfErrorMs: 0, now: () => now });
    const client = createPlatformClient({ baseUrl: mock.url, timeoutMs: 1000, cache });
    for (const id of ['cus_ada', 'cus_grace', 'cus_alan', 'cus_edsger']) await client.getCustomer(id);
    expect(cache.size).toBe(2);
  });
});
