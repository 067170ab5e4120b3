/**
 * Security headers (helmet) for everything the process serves: the JSON API, `/docs`
 * (swagger-ui-express) and the internal app (web/dist). The Content-Security-Policy allows
 * only this origin's scripts; styles may be inline because styled-components (the internal
 * app) and swagger-ui inject `<style>` elements; images may be `data:` URIs (swagger-ui's
 * icons). `upgrade-insecure-requests` is off: the process itself speaks plain HTTP (TLS ends
 * at the ingress, which also sets HSTS for the real host name), and the directive would
 * break the dev server on http://127.0.0.1.
 *
 * API responses also get `Cache-Control: no-store` unless a route sets its own: balances and
 * purchases must not sit in shared or browser caches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

export interface HelmetHeaders {
  readonly set: readonly (readonly [string, string])[];
  readonly removed: readonly string[];
}

/**
 * What helmet does to a response with these options, recorded once: every value is a
 * constant (no directive is a function of the request), so each request gets the same
 * headers without running helmet's chain of 13 middleware functions.
 */
export function recordHelmetHeaders(): HelmetHeaders {
  const set = new Map<string, string>();
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]): void {
      set.set(name, String(value));
    },
    removeHeader(name: string): void {
      set.delete(name);
      removed.push(name);
    },
  };
  let error: unknown = null;
  let done = false;
  helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, frameguard: { action: 'deny' } })(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (err?: unknown) => {
      error = err ?? null;
      done = true;
    },
  );
  if (!done || error !== null) throw new Error('helmet did not set its headers synchronously', { cause: error });
  return { set: [...set], removed };
}

export function securityHeaders(): RequestHandler {
  const { set, removed } = recordHelmetHeaders();
  return (req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    if (req.path.startsWith('/v1/')) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
