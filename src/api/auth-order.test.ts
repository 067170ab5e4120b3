/**
 * Authentication comes before the body: on every operation of the OpenAPI document that
 * takes a body, a caller without a valid token gets 401 whatever it sent (unparseable JSON,
 * a body over the size limit), and nothing behind the authenticator is reached. With a valid
 * token the same bodies get their 400/413, so the order — not a blanket 401 — is what is tested.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createApp } from './app.js';
import type { ApiDeps } from './deps.js';
import { buildOpenApiDocument } from './openapi.js';

/** A dependency whose every call fails (routers may keep references to its parts at assembly). */
function untouchable<T>(name: string): T {
  const target = (): never => {
    throw new Error(`${name} was called`);
  };
  return new Proxy(target, {
    get: (_target, property) => untouchable<unknown>(`${name}.${String(property)}`),
    apply: () => {
      throw new Error(`${name}() was reached`);
    },
  }) as T;
}

const config = loadConfig({});
const deps: ApiDeps = {
  config,
  database: untouchable('database'),
  logger: createLogger('silent'),
  platform: () => untouchable('platform'),
  temporal: untouchable('temporal'),
  temporalUiUrl: null,
};

let server: Server;
let base: string;
beforeAll(async () => {
  server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Every operation of the document with a request body, its path parameters filled in. */
function operationsWithBody(): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const [template, item] of Object.entries(buildOpenApiDocument().paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, { requestBody?: unknown }>)) {
      if (!operation.requestBody) continue;
      out.push({
        method: method.toUpperCase(),
        path: template
          .replace(/\{purchaseId\}|\{attemptId\}/g, 'pur_01JDQ8X4N2V7W3K5M9P0R1S2T3')
          .replace(/\{[^}]+\}/g, 'x1'),
      });
    }
  }
  return out;
}

const BODIES: Record<string, string> = {
  unparseable: '{"amount": 1,',
  oversized: JSON.stringify({ note: 'x'.repeat(40_000) }),
};

async function send(
  method: string,
  path: string,
  body: string,
  token?: string,
): Promise<{ status: number; code: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'idempotency-key': 'auth-order',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
  return { status: res.status, code: ((await res.json()) as { code?: unknown }).code };
}

describe('authentication before the body', () => {
  const operations = operationsWithBody();

  it('covers the money-moving and admin operations', () => {
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/purchases',
        'POST /v1/customers/x1/credit/grants',
        'POST /v1/purchases/pur_01JDQ8X4N2V7W3K5M9P0R1S2T3/refunds',
      ]),
    );
  });

  for (const [kind, body] of Object.entries(BODIES)) {
    it(`no token or an unknown token with an ${kind} body → 401 on every operation with a body`, async () => {
      for (const { method, path } of operations) {
        expect(await send(method, path, body), `${method} ${path}`).toEqual({ status: 401, code: 'unauthenticated' });
        expect(await send(method, path, body, 'not_a_token_of_anyone'), `${method} ${path}`).toEqual({
          status: 401,
          code: 'unauthenticated',
        });
      }
    });
  }

  it('a valid token with the same bodies gets 400 malformed_json and 413 payload_too_large', async () => {
    const admin = config.tokens.find((t) => t.role === 'admin');
    if (!admin) throw new Error('no admin token in the development configuration');
    for (const { method, path } of operations) {
      expect(await send(method, path, BODIES.unparseable ?? '', admin.token), `${method} ${path}`).toEqual({
        status: 400,
        code: 'malformed_json',
      });
      expect(await send(method, path, BODIES.oversized ?? '', admin.token), `${method} ${path}`).toEqual({
        status: 413,
        code: 'payload_too_large',
      });
    }
  });
});
