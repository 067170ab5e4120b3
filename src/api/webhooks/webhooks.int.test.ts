/**
 * Webhook endpoints through the API on the real stack: create (the secret shown once), list,
 * read, change, disable and enable (who and why recorded), delete, rotate; bad inputs as
 * problems with stable codes; admin only.
 */
import { describe, expect, it } from 'vitest';
import type {
  Problem,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEndpointList,
  WebhookSecretRotated,
} from '../../contracts/index.js';
import { http, type HttpResult } from '../../../test/support/http.js';
import { appendTestEvent } from '../../../test/support/events.js';
import { API_TOKENS, TOKENS, type TestStack } from '../../../test/support/stack.js';
import { useStack } from '../../../test/support/use-stack.js';
import { startSecondApi } from '../../../test/support/second-api.js';

let stack: TestStack;
useStack({}, (started) => {
  stack = started;
});

const url = (path: string): string => `${stack.apiUrl}${path}`;
const RECEIVER = 'https://hooks.example.com/ledger';
const UNKNOWN = 'whe_01JDQ3Y9V4T8K2M6N0P5R7S9W1';

function create(
  body: unknown,
  token: string = TOKENS.admin,
): Promise<HttpResult<WebhookEndpointCreated & Omit<Problem, 'status'>>> {
  return http<WebhookEndpointCreated & Omit<Problem, 'status'>>('POST', url('/v1/webhook-endpoints'), { token, body });
}

async function created(body: Record<string, unknown> = {}): Promise<WebhookEndpointCreated> {
  const res = await create({ url: RECEIVER, types: ['credit.granted'], ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('webhook endpoints', () => {
  it('creates an endpoint and shows its secret once', async () => {
    const res = await create({ url: RECEIVER, types: ['credit.granted', 'refund.created'], description: 'finance' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/webhook-endpoints/${res.body.id}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({
      url: RECEIVER,
      types: ['credit.granted', 'refund.created'],
      description: 'finance',
      status: 'enabled',
      disabled: null,
      previousSecretExpiresAt: null,
      workflowId: `webhook-endpoint-${res.body.id}`,
    });
    expect(res.body.id).toMatch(/^whe_[0-9A-Z]{26}$/);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(res.body.secret.slice(6), 'base64')).toHaveLength(32);

    const read = await http<WebhookEndpoint>('GET', url(`/v1/webhook-endpoints/${res.body.id}`), {
      token: TOKENS.admin,
    });
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(JSON.stringify(read.body)).not.toContain(res.body.secret.slice(6));
    const { secret: _secret, ...withoutSecret } = res.body;
    expect(read.body).toEqual(withoutSecret);

    const list = await http<WebhookEndpointList>('GET', url('/v1/webhook-endpoints?limit=100'), {
      token: TOKENS.admin,
    });
    expect(list.status).toBe(200);
    expect(list.body.data.map((e) => e.id)).toContain(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
  });

  it('starts after the last event: an endpoint receives the events committed after its creation', async () => {
    const before = await appendTestEvent(stack);
    const endpoint = await created();
    expect(endpoint.lastDeliveredSequence).toBeGreaterThanOrEqual(before.sequence);
  });

  it('pages the list newest first', async () => {
    const ids = [(await created()).id, (await created()).id, (await created()).id];
    const first = await http<WebhookEndpointList>('GET', url('/v1/webhook-endpoints?limit=2'), { token: TOKENS.admin });
    expect(first.body.data.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await http<WebhookEndpointList>(
      'GET',
      url(`/v1/webhook-endpoints?limit=2&cursor=${first.body.nextCursor ?? ''}`),
      { token: TOKENS.admin },
    );
    expect(second.body.data[0]?.id).toBe(ids[0]);
    const bad = await http<Problem>('GET', url('/v1/webhook-endpoints?cursor=bm9wZQ'), { token: TOKENS.admin });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('cursor_invalid');
  });

  it('changes, disables (who and why) and enables an endpoint', async () => {
    const endpoint = await created();
    const path = url(`/v1/webhook-endpoints/${endpoint.id}`);
    const changed = await http<WebhookEndpoint>('PATCH', path, {
      token: TOKENS.admin,
      body: { types: ['purchase.completed', 'purchase.failed'], description: null, url: `${RECEIVER}/v2` },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      types: ['purchase.completed', 'purchase.failed'],
      description: null,
      url: `${RECEIVER}/v2`,
      status: 'enabled',
    });

    const disabled = await http<WebhookEndpoint>('PATCH', path, {
      token: TOKENS.admin,
      body: { status: 'disabled', reason: 'receiver migrating' },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    expect(disabled.body.disabled).toMatchObject({ by: 'root', reason: 'receiver migrating' });

    const enabled = await http<WebhookEndpoint>('PATCH', path, { token: TOKENS.admin, body: { status: 'enabled' } });
    expect(enabled.body).toMatchObject({ status: 'enabled', disabled: null });

    const noReason = await http<WebhookEndpoint>('PATCH', path, { token: TOKENS.admin, body: { status: 'disabled' } });
    expect(noReason.body.disabled).toMatchObject({ by: 'root', reason: 'disabled by root' });
  });

  it('deletes an endpoint: 404 afterwards, not listed', async () => {
    const endpoint = await created();
    const path = url(`/v1/webhook-endpoints/${endpoint.id}`);
    const res = await http('DELETE', path, { token: TOKENS.admin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: endpoint.id, deleted: true });
    for (const [method, p] of [
      ['GET', path],
      ['DELETE', path],
      ['GET', `${path}/deliveries`],
      ['POST', `${path}/secret/rotate`],
      ['POST', `${path}/test`],
    ] as const) {
      const again = await http<Problem>(method, p, { token: TOKENS.admin });
      expect(again.status, `${method} ${p}`).toBe(404);
      expect(again.body.code).toBe('webhook_endpoint_not_found');
    }
    const list = await http<WebhookEndpointList>('GET', url('/v1/webhook-endpoints?limit=100'), {
      token: TOKENS.admin,
    });
    expect(list.body.data.map((e) => e.id)).not.toContain(endpoint.id);
  });

  it('rotates the secret: a new one, shown once, the old one signing for 24 h more', async () => {
    const endpoint = await created();
    const before = Date.now();
    const res = await http<WebhookSecretRotated>('POST', url(`/v1/webhook-endpoints/${endpoint.id}/secret/rotate`), {
      token: TOKENS.admin,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(endpoint.secret);
    const expires = Date.parse(res.body.previousSecretExpiresAt);
    expect(expires - before).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(expires - before).toBeLessThan(24 * 3_600_000 + 60_000);
    const read = await http<WebhookEndpoint>('GET', url(`/v1/webhook-endpoints/${endpoint.id}`), {
      token: TOKENS.admin,
    });
    expect(read.body.previousSecretExpiresAt).toBe(res.body.previousSecretExpiresAt);
  });

  it('lists no deliveries for a new endpoint', async () => {
    const endpoint = await created();
    const res = await http<WebhookDeliveryList>('GET', url(`/v1/webhook-endpoints/${endpoint.id}/deliveries`), {
      token: TOKENS.admin,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
  });

  it('refuses bad input with stable codes', async () => {
    const cases: [unknown, string][] = [
      [{ url: 'not a url', types: ['credit.granted'] }, 'url'],
      [{ url: 'ftp://hooks.example.com/x', types: ['credit.granted'] }, 'url'],
      [{ url: 'https://user:pw@hooks.example.com/x', types: ['credit.granted'] }, 'url'],
      [{ url: 'https://hooks.example.com/x#frag', types: ['credit.granted'] }, 'url'],
      [{ url: `https://hooks.example.com/${'a'.repeat(2100)}`, types: ['credit.granted'] }, 'url'],
      [{ url: RECEIVER, types: [] }, 'types'],
      [{ url: RECEIVER, types: ['credit.granted', 'credit.granted'] }, 'types'],
      [{ url: RECEIVER, types: ['webhook.test'] }, 'types.0'],
      [{ url: RECEIVER, types: ['nope'] }, 'types.0'],
      [{ url: RECEIVER }, 'types'],
      [{ types: ['credit.granted'] }, 'url'],
      [{ url: RECEIVER, types: ['credit.granted'], secret: 'whsec_mine' }, ''],
      [{ url: RECEIVER, types: ['credit.granted'], description: 'x'.repeat(501) }, 'description'],
      // Postgres cannot store U+0000: refused as input, never a 500 (found by Schemathesis).
      [{ url: RECEIVER, types: ['credit.granted'], description: 'a\u0000b' }, 'description'],
    ];
    for (const [body, path] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const paths = (((res.body as unknown as Problem).errors ?? []) as { path: string }[]).map((e) => e.path);
      expect(paths).toContain(path ? `body.${path}` : 'body');
    }
    const malformed = await http<Problem>('POST', url('/v1/webhook-endpoints'), {
      token: TOKENS.admin,
      rawBody: '{"url":',
    });
    expect(malformed.body.code).toBe('malformed_json');

    const endpoint = await created();
    const path = url(`/v1/webhook-endpoints/${endpoint.id}`);
    for (const body of [
      {},
      { reason: 'why' },
      { status: 'enabled', reason: 'why' },
      { status: 'paused' },
      { id: 'x' },
      { status: 'disabled', reason: 'a\u0000' },
      { status: 'disabled', reason: '   ' },
      { description: 'a\u0000' },
    ]) {
      const res = await http<Problem>('PATCH', path, { token: TOKENS.admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const badId = await http<Problem>('GET', url('/v1/webhook-endpoints/whe_nope'), { token: TOKENS.admin });
    expect(badId.status).toBe(400);
    expect(badId.body.code).toBe('validation_failed');
    const unknown = await http<Problem>('PATCH', url(`/v1/webhook-endpoints/${UNKNOWN}`), {
      token: TOKENS.admin,
      body: { description: 'x' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('webhook_endpoint_not_found');

    const resendBad = await http<Problem>('POST', `${path}/resend`, { token: TOKENS.admin, body: { eventId: 'nope' } });
    expect(resendBad.status).toBe(400);
    const resendUnknown = await http<Problem>('POST', `${path}/resend`, {
      token: TOKENS.admin,
      body: { eventId: 'evt_01JDQ3Y9V4T8K2M6N0P5R7S9W1' },
    });
    expect(resendUnknown.status).toBe(422);
    expect(resendUnknown.body.code).toBe('webhook_event_not_found');
    // An event of a type the endpoint does not receive is not one it can be sent.
    const other = await appendTestEvent(stack, 'refund.created');
    const resendOther = await http<Problem>('POST', `${path}/resend`, {
      token: TOKENS.admin,
      body: { eventId: other.id },
    });
    expect(resendOther.status).toBe(422);
    expect(resendOther.body.code).toBe('webhook_event_not_found');
    await http('PATCH', path, { token: TOKENS.admin, body: { status: 'disabled' } });
    const mine = await appendTestEvent(stack, 'credit.granted');
    const resendDisabled = await http<Problem>('POST', `${path}/resend`, {
      token: TOKENS.admin,
      body: { eventId: mine.id },
    });
    expect(resendDisabled.status).toBe(409);
    expect(resendDisabled.body.code).toBe('webhook_endpoint_disabled');
  });

  it('an http:// URL where only https is allowed (production): 422 webhook_url_not_allowed', async () => {
    const strict = await startSecondApi(stack, { WEBHOOK_ALLOW_HTTP: 'false', API_TOKENS });
    try {
      const refused = await http<Problem>('POST', `${strict.apiUrl}/v1/webhook-endpoints`, {
        token: TOKENS.admin,
        body: { url: 'http://hooks.example.com/ledger', types: ['credit.granted'] },
      });
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('webhook_url_not_allowed');
      const endpoint = await created();
      const patched = await http<Problem>('PATCH', `${strict.apiUrl}/v1/webhook-endpoints/${endpoint.id}`, {
        token: TOKENS.admin,
        body: { url: 'http://hooks.example.com/other' },
      });
      expect(patched.status).toBe(422);
      expect(patched.body.code).toBe('webhook_url_not_allowed');
      const ok = await http('POST', `${strict.apiUrl}/v1/webhook-endpoints`, {
        token: TOKENS.admin,
        body: { url: RECEIVER, types: ['credit.granted'] },
      });
      expect(ok.status).toBe(201);
    } finally {
      await strict.close();
    }
  });

  it('is admin only', async () => {
    const endpoint = await created();
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/webhook-endpoints', { url: RECEIVER, types: ['credit.granted'] }],
      ['GET', '/v1/webhook-endpoints'],
      ['GET', `/v1/webhook-endpoints/${endpoint.id}`],
      ['PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { description: 'x' }],
      ['DELETE', `/v1/webhook-endpoints/${endpoint.id}`],
      ['GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`],
      ['POST', `/v1/webhook-endpoints/${endpoint.id}/test`],
      ['POST', `/v1/webhook-endpoints/${endpoint.id}/resend`, { eventId: 'evt_01JDQ3Y9V4T8K2M6N0P5R7S9W1' }],
      ['POST', `/v1/webhook-endpoints/${endpoint.id}/secret/rotate`],
    ];
    for (const [method, path, body] of routes) {
      for (const token of [TOKENS.storefront, TOKENS.support]) {
        const res = await http<Problem>(method, url(path), { token, body });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
      const anonymous = await http<Problem>(method, url(path), { body });
      expect(anonymous.status).toBe(401);
    }
    // Nothing changed: the endpoint is still there and enabled.
    const read = await http<WebhookEndpoint>('GET', url(`/v1/webhook-endpoints/${endpoint.id}`), {
      token: TOKENS.admin,
    });
    expect(read.body.status).toBe('enabled');
  });
});
