import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OPENAPI_PATH, renderOpenApi } from '../scripts/write-openapi.js';
import { startPlatformMock } from './server.js';
import type { RunningPlatformMock } from './server.js';
import { PlatformStore, SEED_UPDATED_AT } from './store.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

let mock: RunningPlatformMock;

async function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Reply> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(`${mock.url}${path}`, {
    ...rest,
    headers,
    ...(json !== undefined && { body: JSON.stringify(json) }),
  });
  const text = await response.text();
  const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  return { status: response.status, headers: response.headers, text, body };
}

const post = (path: string, json?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  call(path, { method: 'POST', json, headers });

const goodAddress = { line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' };
const shipmentBody = { customerId: 'cus_ada', productId: 'prod_mouse', quantity: 2, address: goodAddress };

const createShipment = (key: string | undefined, body: unknown = shipmentBody): Promise<Reply> =>
  post('/shipments', body, key === undefined ? {} : { 'Idempotency-Key': key });

const addFault = (fault: Record<string, unknown>): Promise<Reply> => post('/__control/faults', fault);

async function calls(): Promise<Record<string, number>> {
  return (await call('/__control/calls')).body as Record<string, number>;
}

function expectProblem(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code });
  expect(typeof reply.body.title).toBe('string');
  expect(typeof reply.body.detail).toBe('string');
  expect(reply.body.type).toMatch(new RegExp(`${code}$`));
}

beforeAll(async () => {
  mock = await startPlatformMock({ port: 0 });
});

afterAll(async () => {
  await mock.close();
});

beforeEach(async () => {
  expect((await post('/__control/reset')).status).toBe(204);
});

describe('platform-mock basics', () => {
  it('listens on a free port and answers /health', async () => {
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
    expect(mock.port).toBeGreaterThan(0);
    const reply = await call('/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  it('serves its OpenAPI 3.1 document, identical to the committed openapi.json and without control endpoints', async () => {
    const reply = await call('/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    const paths = Object.keys(reply.body.paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/customers',
        '/customers/{id}',
        '/products',
        '/products/{id}',
        '/shipments',
        '/shipments/{id}',
        '/shipments/{id}/cancel',
      ]),
    );
    expect(paths.some((p) => p.startsWith('/__control'))).toBe(false);
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApi());
    expect(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))).toEqual(reply.body);
  });

  it('answers unknown routes and methods with problems', async () => {
    expectProblem(await call('/nope'), 404, 'not_found');
    const wrongMethod = await call('/customers', { method: 'DELETE' });
    expectProblem(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});

describe('seed data', () => {
  it.each([
    ['cus_ada', 'Ada Lovelace'],
    ['cus_grace', 'Grace Hopper'],
    ['cus_alan', 'Alan Turing'],
    ['cus_edsger', 'Edsger Dijkstra'],
    ['cus_barbara', 'Barbara Liskov'],
  ])('has customer %s (%s) with a complete address', async (id, name) => {
    const reply = await call(`/customers/${id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id, name, updatedAt: SEED_UPDATED_AT });
    expect(reply.body.email).toMatch(/^[a-z.]+@example\.com$/);
    const address = reply.body.address as Record<string, string>;
    expect(address.line1).not.toBe('');
    expect(address.city).not.toBe('');
    expect(address.postalCode).not.toBe('');
    expect(address.country).toMatch(/^[A-Z]{2}$/);
  });

  it('has cus_noaddr with an empty postalCode', async () => {
    const reply = await call('/customers/cus_noaddr');
    expect(reply.status).toBe(200);
    expect((reply.body.address as Record<string, string>).postalCode).toBe('');
  });

  it.each([
    ['prod_keyboard', 'Mechanical Keyboard', 8999, 'USD', true],
    ['prod_mouse', 'Wireless Mouse', 2999, 'USD', true],
    ['prod_monitor', '27-inch 4K Monitor', 34999, 'USD', true],
    ['prod_cable', 'USB-C Cable', 999, 'USD', true],
    ['prod_lamp', 'Desk Lamp (discontinued)', 4599, 'USD', false],
    ['prod_mug', 'Enamel Mug', 1500, 'EUR', true],
  ])('has product %s', async (id, name, amount, currency, active) => {
    const reply = await call(`/products/${id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id, name, price: { amount, currency }, active, updatedAt: SEED_UPDATED_AT });
    expect(typeof reply.body.description).toBe('string');
  });
});

describe('lists', () => {
  it('pages customers by id with an opaque cursor', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const reply = await call(`/customers?limit=2${query}`);
      expect(reply.status).toBe(200);
      const data = reply.body.data as { id: string }[];
      expect(data.length).toBeLessThanOrEqual(2);
      ids.push(...data.map((c) => c.id));
      cursor = reply.body.nextCursor as string | null;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(ids).toEqual(['cus_ada', 'cus_alan', 'cus_barbara', 'cus_edsger', 'cus_grace', 'cus_noaddr']);
    expect(pages).toBe(3);
  });

  it('defaults to 20 per page and a null nextCursor at the end', async () => {
    const reply = await call('/products');
    expect((reply.body.data as unknown[]).length).toBe(6);
    expect(reply.body.nextCursor).toBeNull();
  });

  it('matches query case-insensitively on name, email and id', async () => {
    const ids = async (path: string): Promise<string[]> =>
      ((await call(path)).body.data as { id: string }[]).map((c) => c.id);
    expect(await ids('/customers?query=HOPPER')).toEqual(['cus_grace']);
    expect(await ids('/customers?query=ada.lovelace%40EXAMPLE')).toEqual(['cus_ada']);
    expect(await ids('/customers?query=cus_ED')).toEqual(['cus_edsger']);
    expect(await ids('/customers?query=zzz')).toEqual([]);
    expect(await ids('/products?query=mug')).toEqual(['prod_mug']);
    expect(await ids('/products?query=usb-c')).toEqual(['prod_cable', 'prod_keyboard', 'prod_monitor']);
  });

  it('rejects a bad limit or cursor', async () => {
    for (const limit of ['0', '101', 'abc', '1.5', '-1']) {
      expectProblem(await call(`/customers?limit=${limit}`), 400, 'validation_failed');
    }
    expect((await call('/customers?limit=100')).status).toBe(200);
    expectProblem(await call('/products?cursor=not-a-cursor'), 400, 'invalid_cursor');
    expectProblem(await call('/customers?limit=1&limit=2'), 400, 'validation_failed');
  });
});

describe('not found', () => {
  it('answers 404 problems for unknown ids', async () => {
    expectProblem(await call('/customers/cus_nobody'), 404, 'customer_not_found');
    expectProblem(await call('/products/prod_nothing'), 404, 'product_not_found');
    expectProblem(await call('/shipments/shp_nothing'), 404, 'shipment_not_found');
    expectProblem(await post('/shipments/shp_nothing/cancel'), 404, 'shipment_not_found');
    expectProblem(
      await call('/customers/cus_nobody', { method: 'PATCH', json: { name: 'X' } }),
      404,
      'customer_not_found',
    );
  });
});

describe('ETag and conditional GET', () => {
  it('carries a strong ETag and Cache-Control, and answers a matching If-None-Match with 304', async () => {
    const first = await call('/customers/cus_ada');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, max-age=30');

    const again = await call('/customers/cus_ada');
    expect(again.headers.get('etag')).toBe(etag);

    const notModified = await call('/customers/cus_ada', { headers: { 'If-None-Match': etag ?? '' } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('cache-control')).toBe('private, max-age=30');

    expect(
      (await call('/customers/cus_ada', { headers: { 'If-None-Match': `"other", W/${etag ?? ''}` } })).status,
    ).toBe(304);
    expect((await call('/customers/cus_ada', { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
    expect((await call('/customers/cus_grace')).headers.get('etag')).not.toBe(etag);
  });

  it('applies to lists and shipments too (shipments always revalidate)', async () => {
    const list = await call('/products?limit=3');
    const etag = list.headers.get('etag') ?? '';
    expect(list.headers.get('cache-control')).toBe('private, max-age=30');
    expect((await call('/products?limit=3', { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await call('/products?limit=4', { headers: { 'If-None-Match': etag } })).status).toBe(200);

    const created = await createShipment('etag-key');
    const shipment = await call(`/shipments/${created.body.id as string}`);
    expect(shipment.headers.get('cache-control')).toBe('private, no-cache');
    const shipmentEtag = shipment.headers.get('etag') ?? '';
    expect(
      (await call(`/shipments/${created.body.id as string}`, { headers: { 'If-None-Match': shipmentEtag } })).status,
    ).toBe(304);
    await post(`/shipments/${created.body.id as string}/cancel`);
    expect(
      (await call(`/shipments/${created.body.id as string}`, { headers: { 'If-None-Match': shipmentEtag } })).status,
    ).toBe(200);
  });
});

describe('create and update', () => {
  it('PATCH changes the fields, advances updatedAt and changes the ETag', async () => {
    const before = await call('/products/prod_keyboard');
    const etag = before.headers.get('etag') ?? '';
    const patched = await call('/products/prod_keyboard', {
      method: 'PATCH',
      json: { price: { amount: 9499, currency: 'USD' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.price).toEqual({ amount: 9499, currency: 'USD' });
    expect(patched.body.name).toBe('Mechanical Keyboard');
    expect(Date.parse(patched.body.updatedAt as string)).toBeGreaterThan(Date.parse(SEED_UPDATED_AT));

    const after = await call('/products/prod_keyboard', { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.body).toEqual(patched.body);

    const twice = await call('/products/prod_keyboard', { method: 'PATCH', json: { active: false } });
    expect(Date.parse(twice.body.updatedAt as string)).toBeGreaterThan(Date.parse(patched.body.updatedAt as string));
  });

  it('PATCH of a customer replaces the address and honours If-Match', async () => {
    const current = await call('/customers/cus_noaddr');
    const stale = await call('/customers/cus_noaddr', {
      method: 'PATCH',
      json: { name: 'Hedy K. Lamarr' },
      headers: { 'If-Match': '"stale"' },
    });
    expectProblem(stale, 412, 'precondition_failed');
    const patched = await call('/customers/cus_noaddr', {
      method: 'PATCH',
      json: { address: goodAddress },
      headers: { 'If-Match': current.headers.get('etag') ?? '' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.address).toEqual(goodAddress);
    expect(patched.body.name).toBe(current.body.name);
  });

  it('PATCH rejects unknown fields, empty patches and invalid values', async () => {
    expectProblem(
      await call('/customers/cus_ada', { method: 'PATCH', json: { nickname: 'Ada' } }),
      400,
      'validation_failed',
    );
    expectProblem(await call('/customers/cus_ada', { method: 'PATCH', json: {} }), 400, 'validation_failed');
    expectProblem(
      await call('/customers/cus_ada', { method: 'PATCH', json: { email: 'not-an-email' } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await call('/products/prod_mug', { method: 'PATCH', json: { price: { amount: 12.5, currency: 'EUR' } } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await call('/products/prod_mug', { method: 'PATCH', json: { price: { amount: 100, currency: 'XYZ' } } }),
      400,
      'validation_failed',
    );
    const unknownField = await call('/customers/cus_ada', { method: 'PATCH', json: { nickname: 'Ada' } });
    expect((unknownField.body.errors as { message: string }[]).some((e) => e.message.includes('nickname'))).toBe(true);
  });

  it('POST /customers generates a cus_ id, or takes a given one once', async () => {
    const created = await post('/customers', {
      name: 'Donald Knuth',
      email: 'donald.knuth@example.com',
      address: goodAddress,
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^cus_[a-z0-9]+$/);
    expect(created.headers.get('location')).toBe(`/customers/${created.body.id as string}`);
    expect((await call(`/customers/${created.body.id as string}`)).body).toEqual(created.body);

    const named = { id: 'cus_knuth', name: 'Donald Knuth', email: 'dek@example.com', address: goodAddress };
    expect((await post('/customers', named)).status).toBe(201);
    expectProblem(await post('/customers', named), 409, 'customer_exists');
    expectProblem(await post('/customers', { ...named, id: 'knuth' }), 400, 'validation_failed');
    expectProblem(await post('/customers', { ...named, id: 'cus_other', vip: true }), 400, 'validation_failed');
  });

  it('POST /products generates a prod_ id and defaults active and description', async () => {
    const created = await post('/products', { name: 'Webcam', price: { amount: 5999, currency: 'USD' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ description: '', active: true });
    expect(created.body.id).toMatch(/^prod_/);
    expectProblem(
      await post('/products', { id: 'prod_mug', name: 'Mug', price: { amount: 1, currency: 'EUR' } }),
      409,
      'product_exists',
    );
    expectProblem(
      await post('/products', { name: 'Free', price: { amount: 0, currency: 'USD' } }),
      400,
      'validation_failed',
    );
  });

  it('rejects bodies that are not JSON', async () => {
    expectProblem(
      await call('/customers', { method: 'POST', body: '{bad', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_json',
    );
    expectProblem(
      await call('/customers', {
        method: 'POST',
        body: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported_media_type',
    );
    expectProblem(await post('/customers'), 400, 'validation_failed');
  });
});

describe('shipments', () => {
  it('requires an Idempotency-Key', async () => {
    expectProblem(await createShipment(undefined), 400, 'idempotency_key_required');
    expectProblem(await createShipment('k'.repeat(256)), 400, 'invalid_idempotency_key');
    expect((await call('/shipments')).body).toEqual({ data: [] });
  });

  it('creates once per key: 201, then 200 replays of the same shipment; a different body is 422', async () => {
    const first = await createShipment('pur_1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ...shipmentBody, status: 'created', idempotencyKey: 'pur_1' });
    expect(first.body.id).toMatch(/^shp_/);
    expect(Number.isNaN(Date.parse(first.body.createdAt as string))).toBe(false);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const reordered = { address: goodAddress, quantity: 2, productId: 'prod_mouse', customerId: 'cus_ada' };
    const replay = await createShipment('pur_1', reordered);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    expectProblem(await createShipment('pur_1', { ...shipmentBody, quantity: 3 }), 422, 'idempotency_key_reused');

    const other = await createShipment('pur_2');
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);

    expect((await call('/shipments?idempotencyKey=pur_1')).body).toEqual({ data: [first.body] });
    expect((await call('/shipments?idempotencyKey=unknown')).body).toEqual({ data: [] });
    expect(((await call('/shipments')).body.data as { id: string }[]).map((s) => s.id)).toEqual([
      first.body.id,
      other.body.id,
    ]);
    expect((await call(`/shipments/${first.body.id as string}`)).body).toEqual(first.body);
  });

  it('cancels idempotently', async () => {
    const created = await createShipment('pur_cancel');
    const id = created.body.id as string;
    const cancelled = await post(`/shipments/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    expect(Date.parse(cancelled.body.cancelledAt as string)).toBeGreaterThanOrEqual(
      Date.parse(created.body.createdAt as string),
    );
    const again = await post(`/shipments/${id}/cancel`, {});
    expect(again.status).toBe(200);
    expect(again.body).toEqual(cancelled.body);
    expect((await call(`/shipments/${id}`)).body).toEqual(cancelled.body);
    expectProblem(await post(`/shipments/${id}/cancel`, { reason: 'x' }), 400, 'validation_failed');
  });

  it('finds a shipment by its idempotency key, whatever its status', async () => {
    const created = await createShipment('pur_find');
    expect((await call('/shipments?idempotencyKey=pur_find')).body).toEqual({ data: [created.body] });
    const cancelled = await post(`/shipments/${created.body.id as string}/cancel`);
    expect((await call('/shipments?idempotencyKey=pur_find')).body).toEqual({ data: [cancelled.body] });
    expect((await call('/shipments?idempotencyKey=pur_other')).body).toEqual({ data: [] });
    expectProblem(await call(`/shipments?idempotencyKey=${'k'.repeat(256)}`), 400, 'validation_failed');
  });

  it('refuses to cancel a shipped shipment (409 shipment_not_cancellable); a cancelled one cannot ship', async () => {
    const created = await createShipment('pur_shipped');
    const id = created.body.id as string;
    const shipped = await post(`/__control/shipments/${id}/ship`);
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ id, status: 'shipped' });
    expect(typeof shipped.body.shippedAt).toBe('string');
    expect((await post(`/__control/shipments/${id}/ship`)).body).toEqual(shipped.body);
    expectProblem(await post(`/shipments/${id}/cancel`), 409, 'shipment_not_cancellable');
    expect((await call(`/shipments/${id}`)).body).toEqual(shipped.body);
    // A replay of the creating request still answers with the shipment, in its current status.
    expect((await createShipment('pur_shipped')).body).toEqual(shipped.body);

    const other = (await createShipment('pur_cancelled_first')).body.id as string;
    expect((await post(`/shipments/${other}/cancel`)).status).toBe(200);
    expectProblem(await post(`/__control/shipments/${other}/ship`), 409, 'shipment_cancelled');
    expectProblem(await post('/__control/shipments/shp_nope/ship'), 404, 'shipment_not_found');
    expectProblem(await post('/shipments/shp_nope/cancel'), 404, 'shipment_not_found');
  });

  it.each([
    [
      'an empty postalCode (cus_noaddr)',
      { line1: '1 Orchard Lane', city: 'Springfield', postalCode: '', country: 'US' },
    ],
    ['a blank postalCode', { ...goodAddress, postalCode: '   ' }],
    ['no line1', { city: 'Springfield', postalCode: '12345', country: 'US' }],
    ['no city', { line1: '1 Main Street', postalCode: '12345', country: 'US' }],
    ['no postalCode', { line1: '1 Main Street', city: 'Springfield', country: 'US' }],
    ['no country', { line1: '1 Main Street', city: 'Springfield', postalCode: '12345' }],
    ['a three-letter country', { ...goodAddress, country: 'USA' }],
    ['an unknown address field', { ...goodAddress, state: 'IL' }],
    ['no address at all', undefined],
  ])('answers 400 invalid_address for %s, and does not bind the key', async (_label, address) => {
    const reply = await createShipment('pur_addr', { ...shipmentBody, customerId: 'cus_noaddr', address });
    expectProblem(reply, 400, 'invalid_address');
    expect((reply.body.errors as { path: string }[]).some((e) => e.path.startsWith('address'))).toBe(true);
    expect((await call('/shipments?idempotencyKey=pur_addr')).body).toEqual({ data: [] });
    expect((await createShipment('pur_addr', { ...shipmentBody, customerId: 'cus_noaddr' })).status).toBe(201);
  });

  it('answers 422 for unknown customers and products, 400 for other invalid fields', async () => {
    expectProblem(await createShipment('k1', { ...shipmentBody, customerId: 'cus_nobody' }), 422, 'unknown_customer');
    expectProblem(await createShipment('k2', { ...shipmentBody, productId: 'prod_nothing' }), 422, 'unknown_product');
    expectProblem(await createShipment('k3', { ...shipmentBody, quantity: 0 }), 400, 'validation_failed');
    expectProblem(await createShipment('k4', { ...shipmentBody, gift: true }), 400, 'validation_failed');
    expect((await call('/shipments')).body).toEqual({ data: [] });
  });
});

describe('faults', () => {
  it('error: answers 503 injected_fault without performing the operation, for `times` calls', async () => {
    expect((await addFault({ operation: 'createShipment', mode: 'error', times: 2 })).status).toBe(204);
    const pending = await call('/__control/faults');
    expect(pending.body.data).toEqual([
      { operation: 'createShipment', mode: 'error', status: 503, delayMs: 0, remaining: 2 },
    ]);

    expectProblem(await createShipment('pur_f'), 503, 'injected_fault');
    expectProblem(await createShipment('pur_f'), 503, 'injected_fault');
    expect((await call('/shipments?idempotencyKey=pur_f')).body).toEqual({ data: [] });
    expect((await createShipment('pur_f')).status).toBe(201);
    expect((await call('/__control/faults')).body.data).toEqual([]);
  });

  it('error with a status, on a read; times defaults to 1', async () => {
    await addFault({ operation: 'getCustomer', mode: 'error', status: 500 });
    expectProblem(await call('/customers/cus_ada'), 500, 'injected_fault');
    expect((await call('/customers/cus_ada')).status).toBe(200);
  });

  it('reject: answers 400 rejected (or the given status) without performing the operation', async () => {
    await addFault({ operation: 'createShipment', mode: 'reject' });
    const rejected = await createShipment('pur_r');
    expectProblem(rejected, 400, 'rejected');
    expect(rejected.body.detail).toBe('injected rejection');
    expect((await call('/shipments')).body).toEqual({ data: [] });

    await addFault({ operation: 'getProduct', mode: 'reject', status: 422 });
    expectProblem(await call('/products/prod_mug'), 422, 'rejected');
    expect((await call('/products/prod_mug')).status).toBe(200);
  });

  it('times -1 applies until cleared; faults queue in order per operation', async () => {
    await addFault({ operation: 'listProducts', mode: 'error', times: -1 });
    for (let i = 0; i < 3; i += 1) expectProblem(await call('/products'), 503, 'injected_fault');
    expect((await call('/customers')).status).toBe(200);
    expect((await call('/__control/faults', { method: 'DELETE' })).status).toBe(204);
    expect((await call('/products')).status).toBe(200);

    await addFault({ operation: 'listCustomers', mode: 'error', status: 502 });
    await addFault({ operation: 'listCustomers', mode: 'reject', status: 403 });
    expectProblem(await call('/customers'), 502, 'injected_fault');
    expectProblem(await call('/customers'), 403, 'rejected');
    expect((await call('/customers')).status).toBe(200);
  });

  it('timeout: holds the request, then still performs it — also when the caller gave up', async () => {
    await addFault({ operation: 'createShipment', mode: 'timeout', delayMs: 300 });
    const started = Date.now();
    await expect(
      fetch(`${mock.url}/shipments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'pur_t' },
        body: JSON.stringify(shipmentBody),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(250);
    expect((await call('/shipments?idempotencyKey=pur_t')).body).toEqual({ data: [] });

    let found: unknown[] = [];
    for (let i = 0; i < 50 && found.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      found = (await call('/shipments?idempotencyKey=pur_t')).body.data as unknown[];
    }
    expect(found).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const retry = await createShipment('pur_t');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });

  it('timeout: a patient caller gets the normal answer after the delay', async () => {
    await addFault({ operation: 'getProduct', mode: 'timeout', delayMs: 150 });
    const started = Date.now();
    const reply = await call('/products/prod_cable');
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe('prod_cable');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('validates fault specs', async () => {
    expectProblem(await addFault({ operation: 'deleteEverything', mode: 'error' }), 400, 'validation_failed');
    expectProblem(await addFault({ operation: 'getCustomer', mode: 'explode' }), 400, 'validation_failed');
    expectProblem(await addFault({ operation: 'getCustomer', mode: 'error', times: 0 }), 400, 'validation_failed');
    expectProblem(await addFault({ operation: 'getCustomer', mode: 'error', status: 200 }), 400, 'validation_failed');
    expectProblem(await addFault({ operation: 'getCustomer', mode: 'error', always: true }), 400, 'validation_failed');
  });
});

describe('calls and reset', () => {
  it('counts every call per operation, including faulted calls and 304s', async () => {
    const zero = await calls();
    expect(Object.values(zero).every((n) => n === 0)).toBe(true);
    expect(Object.keys(zero)).toEqual(
      expect.arrayContaining([
        'createShipment',
        'getCustomer',
        'getProduct',
        'listCustomers',
        'listProducts',
        'getShipment',
        'listShipments',
        'cancelShipment',
      ]),
    );

    const first = await call('/customers/cus_ada');
    await call('/customers/cus_ada', { headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    await call('/customers/cus_nobody');
    await addFault({ operation: 'getProduct', mode: 'error' });
    await call('/products/prod_mug');
    await call('/products');
    await createShipment(undefined);
    await createShipment('pur_c');
    await call('/shipments?idempotencyKey=pur_c');

    expect(await calls()).toMatchObject({
      getCustomer: 3,
      getProduct: 1,
      listProducts: 1,
      listCustomers: 0,
      createShipment: 2,
      listShipments: 1,
      getShipment: 0,
    });

    expect((await call('/__control/calls', { method: 'DELETE' })).status).toBe(204);
    expect(Object.values(await calls()).every((n) => n === 0)).toBe(true);
  });

  it('reset empties everything and reloads the seed', async () => {
    await post('/customers', { id: 'cus_temp', name: 'Temp Person', email: 'temp@example.com', address: goodAddress });
    await call('/products/prod_mouse', { method: 'PATCH', json: { price: { amount: 1, currency: 'USD' } } });
    await createShipment('pur_reset');
    await addFault({ operation: 'getCustomer', mode: 'error', times: -1 });

    expect((await post('/__control/reset')).status).toBe(204);

    expect((await call('/__control/faults')).body.data).toEqual([]);
    expect(Object.values(await calls()).every((n) => n === 0)).toBe(true);
    expectProblem(await call('/customers/cus_temp'), 404, 'customer_not_found');
    expect((await call('/products/prod_mouse')).body).toMatchObject({
      price: { amount: 2999, currency: 'USD' },
      updatedAt: SEED_UPDATED_AT,
    });
    expect((await call('/shipments')).body).toEqual({ data: [] });
    expect((await call('/customers/cus_ada')).status).toBe(200);
  });
});

describe('latency and shutdown', () => {
  it('adds latency to platform operations but not to control endpoints', async () => {
    const slow = await startPlatformMock({ latencyMs: 120 });
    try {
      let started = Date.now();
      expect((await fetch(`${slow.url}/customers/cus_ada`)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
      started = Date.now();
      expect((await fetch(`${slow.url}/__control/calls`)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(100);
    } finally {
      await slow.close();
    }
  });

  it('close() returns promptly even with keep-alive connections and a held request', async () => {
    const other = await startPlatformMock();
    await fetch(`${other.url}/health`).then((r) => r.text());
    await fetch(`${other.url}/__control/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'getCustomer', mode: 'timeout', delayMs: 60_000 }),
    });
    const held = fetch(`${other.url}/customers/cus_ada`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await held).toBeInstanceOf(Error);
  });
});

describe('a store kept in a file (npm run dev)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'platform-mock-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (
    base: string,
    route: string,
    method: string,
    json?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { ...(json !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(json !== undefined && { body: JSON.stringify(json) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  };

  it('keeps customers, products and shipments (with their keys and statuses) across a restart', async () => {
    const file = path.join(dir, 'nested', 'platform-mock.json');
    const first = await startPlatformMock({ dataFile: file });
    let shipmentId: string;
    let cancelledId: string;
    try {
      expect(existsSync(file)).toBe(true);
      expect(
        (
          await send(first.url, '/customers', 'POST', {
            id: 'cus_kept',
            name: 'Kept',
            email: 'kept@example.com',
            address: goodAddress,
          })
        ).status,
      ).toBe(201);
      expect(
        (await send(first.url, '/products/prod_mouse', 'PATCH', { price: { amount: 3499, currency: 'USD' } })).status,
      ).toBe(200);
      const created = await send(first.url, '/shipments', 'POST', shipmentBody, { 'Idempotency-Key': 'pur_kept' });
      expect(created.status).toBe(201);
      shipmentId = created.body.id as string;
      const other = await send(
        first.url,
        '/shipments',
        'POST',
        { ...shipmentBody, quantity: 1 },
        { 'Idempotency-Key': 'pur_cancelled' },
      );
      cancelledId = other.body.id as string;
      expect((await send(first.url, `/shipments/${cancelledId}/cancel`, 'POST')).status).toBe(200);
    } finally {
      await first.close();
    }

    const second = await startPlatformMock({ dataFile: file });
    try {
      expect((await send(second.url, '/customers/cus_kept', 'GET')).body).toMatchObject({
        name: 'Kept',
        email: 'kept@example.com',
      });
      expect((await send(second.url, '/customers/cus_ada', 'GET')).status).toBe(200);
      expect((await send(second.url, '/products/prod_mouse', 'GET')).body).toMatchObject({
        price: { amount: 3499, currency: 'USD' },
      });
      // A restarted platform still knows the shipment by its key (what reconciliation asks)...
      const byKey = await send(second.url, '/shipments?idempotencyKey=pur_kept', 'GET');
      expect(byKey.body).toMatchObject({ data: [{ id: shipmentId, status: 'created', idempotencyKey: 'pur_kept' }] });
      expect((await send(second.url, `/shipments/${cancelledId}`, 'GET')).body).toMatchObject({ status: 'cancelled' });
      // ...replays the same creation instead of shipping twice, and still tells a reused key.
      const replay = await send(second.url, '/shipments', 'POST', shipmentBody, { 'Idempotency-Key': 'pur_kept' });
      expect(replay).toMatchObject({ status: 200, body: { id: shipmentId } });
      expect(
        (
          await send(
            second.url,
            '/shipments',
            'POST',
            { ...shipmentBody, quantity: 3 },
            { 'Idempotency-Key': 'pur_kept' },
          )
        ).status,
      ).toBe(422);
      // reset goes back to the seed, in the file too.
      expect((await send(second.url, '/__control/reset', 'POST')).status).toBe(204);
    } finally {
      await second.close();
    }
    const third = new PlatformStore({ file });
    expect(third.getCustomer('cus_kept')).toBeUndefined();
    expect(third.listShipments()).toEqual([]);
    expect(third.getProduct('prod_mouse')?.price.amount).toBe(2999);
  });

  it('without a file keeps everything in memory, and a restart brings back the seed', () => {
    const store = new PlatformStore();
    store.createShipment('pur_mem', shipmentBody);
    expect(new PlatformStore().listShipments()).toEqual([]);
  });

  it('refuses a file that is not its store, saying which file and what to do', () => {
    const file = path.join(dir, 'platform-mock.json');
    writeFileSync(file, '{"customers": 3}');
    expect(() => new PlatformStore({ file })).toThrow(
      /cannot load its store from \S+platform-mock\.json \(not a platform-mock store\); delete the file/,
    );
    writeFileSync(file, 'not json');
    expect(() => new PlatformStore({ file })).toThrow(/cannot load its store from .*platform-mock\.json/);
  });
});
