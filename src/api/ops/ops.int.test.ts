/** Health, readiness and the OpenAPI document on the real stack. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../../../test/support/http.js';
import { startStack, type TestStack } from '../../../test/support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

describe('operations', () => {
  it('answers health and readiness without a token', async () => {
    expect((await http('GET', `${stack.apiUrl}/v1/health`)).body).toEqual({ status: 'ok' });
    const ready = await http<{ status: string; checks: Record<string, { ok: boolean }> }>('GET', `${stack.apiUrl}/v1/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.database?.ok).toBe(true);
    expect(ready.body.checks.temporal?.ok).toBe(true);
  });

  it('serves an OpenAPI 3.1 document generated from the contracts, and its reference page', async () => {
    const doc = await http<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>('GET', `${stack.apiUrl}/v1/openapi.json`);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining([
      '/v1/customers/{customerId}/credit',
      '/v1/customers/{customerId}/credit/grants',
      '/v1/customers/{customerId}/credit/deductions',
      '/v1/customers/{customerId}/credit/entries',
    ]));
    expect(doc.body.components.schemas).toHaveProperty('CreditMovementRequest');
    expect(doc.body.components.schemas).toHaveProperty('Problem');
    const docs = await fetch(`${stack.apiUrl}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('answers unknown routes with a problem', async () => {
    const res = await http<{ code: string }>('GET', `${stack.apiUrl}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});
