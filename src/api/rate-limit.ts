/**
 * Rate limit of the money-moving routes (purchases, refunds, grants, deductions), per token
 * name: a leaked or runaway token can move money only so fast. Over the limit → 429
 * `rate_limited` with `Retry-After` and the `RateLimit`/`RateLimit-Policy` headers (IETF
 * draft 7). Runs after authentication, so the key is the caller's token name, never an IP.
 *
 * The counters live in the process (express-rate-limit's MemoryStore): with N API instances
 * a token may move money N times as fast. A deployment that needs one global limit plugs a
 * shared store (e.g. Redis) in here.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { DomainError } from '../domain/errors.js';
import { callerOf } from './auth.js';

/** The routes (under /v1) whose POSTs move money. */
export const MONEY_MOVING_ROUTES = [
  '/purchases',
  '/purchases/:purchaseId/refunds',
  '/customers/:customerId/credit/grants',
  '/customers/:customerId/credit/deductions',
] as const;

/** A limiter of `perMinute` money-moving requests per token name; 0 turns it off. */
export function moneyRateLimiter(perMinute: number): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => callerOf(req).name,
    // The key is the token name, not an IP: the IP-related checks do not apply.
    validate: { keyGeneratorIpFallback: false, trustProxy: false, xForwardedForHeader: false },
    handler: (_req, _res, next) => {
      next(
        new DomainError(
          'rate_limited',
          `At most ${perMinute} money-moving requests per minute per token; retry after the time in Retry-After (with the same Idempotency-Key).`,
          { limit: perMinute },
        ),
      );
    },
  });
}
