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

export function securityHeaders(): RequestHandler[] {
  return [
    helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, frameguard: { action: 'deny' } }),
    (req, res, next) => {
      if (req.path.startsWith('/v1/')) res.setHeader('Cache-Control', 'no-store');
      next();
    },
  ];
}
