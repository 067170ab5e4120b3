/** The recorded helmet headers are helmet's own: same names, same values, X-Powered-By removed. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, securityHeaders } from './security-headers.js';

/** The headers an Express app with `middleware` answers `path` with (date left out). */
async function headersOf(middleware: RequestHandler, path: string): Promise<Record<string, string>> {
  const app = express();
  app.use(middleware);
  app.use((_req, res) => {
    res.json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name !== 'date' && name !== 'keep-alive' && name !== 'connection') out[name] = value;
    });
    return out;
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

describe('securityHeaders', () => {
  it('sets exactly what helmet sets with the same options, plus Cache-Control: no-store under /v1/', async () => {
    const reference = helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, frameguard: { action: 'deny' } });
    const expected = await headersOf(reference, '/docs/');
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    expect(expected['x-powered-by']).toBeUndefined();
    expect(await headersOf(securityHeaders(), '/docs/')).toEqual(expected);
    expect(await headersOf(securityHeaders(), '/v1/health')).toEqual({ ...expected, 'cache-control': 'no-store' });
  });
});
