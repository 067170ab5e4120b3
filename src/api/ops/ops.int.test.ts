/** Health, readiness and the OpenAPI document on the real stack. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../../../test/support/http.js';
import { startStack, TOKENS, type TestStack } from '../../../test/support/stack.js';

let stack: TestStack;

function rawRequest(
  method: string,
  url: string,
  token?: string,
): Promise<{ status: number; code: unknown; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown };
        resolve({ status: res.statusCode ?? 0, code: body.code, allow: res.headers.allow });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

describe('operations', () => {
  it('answers health and readiness without a token', async () => {
    expect((await http('GET', `${stack.apiUrl}/v1/health`)).body).toEqual({ status: 'ok' });
    const ready = await http<{ status: string; checks: Record<string, { ok: boolean }> }>(
      'GET',
      `${stack.apiUrl}/v1/ready`,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.database?.ok).toBe(true);
    expect(ready.body.checks.temporal?.ok).toBe(true);
  });

  it('serves an OpenAPI 3.1 document generated from the contracts, and its reference page', async () => {
    const doc = await http<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>('GET', `${stack.apiUrl}/v1/openapi.json`);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/customers/{customerId}/credit',
        '/v1/customers/{customerId}/credit/grants',
        '/v1/customers/{customerId}/credit/deductions',
        '/v1/customers/{customerId}/credit/entries',
      ]),
    );
    expect(doc.body.components.schemas).toHaveProperty('CreditMovementRequest');
    expect(doc.body.components.schemas).toHaveProperty('Problem');
    const docs = await fetch(`${stack.apiUrl}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('answers a documented path asked with an undocumented method with 405 and Allow', async () => {
    // fetch refuses TRACE, so that one goes through node:http.
    const publicPath = await rawRequest('TRACE', `${stack.apiUrl}/v1/health`);
    expect(publicPath).toEqual({ status: 405, code: 'method_not_allowed', allow: 'GET, HEAD' });
    // Under /v1 the token comes first, as for every other answer there.
    expect((await http('DELETE', `${stack.apiUrl}/v1/me`)).status).toBe(401);
    const admin = { token: TOKENS.admin };
    const me = await http<{ code: string }>('DELETE', `${stack.apiUrl}/v1/me`, admin);
    expect({ status: me.status, code: me.body.code, allow: me.headers.get('allow') }).toEqual({
      status: 405,
      code: 'method_not_allowed',
      allow: 'GET, HEAD',
    });
    const runs = await http('PUT', `${stack.apiUrl}/v1/reconciliation/runs`, admin);
    expect({ status: runs.status, allow: runs.headers.get('allow') }).toEqual({
      status: 405,
      allow: 'GET, POST, HEAD',
    });
    const code = await http('POST', `${stack.apiUrl}/v1/promo-codes/WELCOME10`, admin);
    expect({ status: code.status, allow: code.headers.get('allow') }).toEqual({
      status: 405,
      allow: 'GET, PATCH, DELETE, HEAD',
    });
    // An unknown path stays a 404, whatever the method.
    expect((await rawRequest('TRACE', `${stack.apiUrl}/v1/nothing-here`, TOKENS.admin)).status).toBe(404);
  });

  it('answers unknown routes with a problem', async () => {
    const res = await http<{ code: string }>('GET', `${stack.apiUrl}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});
