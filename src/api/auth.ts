/**
 * Bearer-token authentication and role checks. Tokens come from `API_TOKENS`; each has a name
 * (recorded as the actor of every change) and a role. Roles nest: storefront ⊂ support ⊂ admin.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against every configured
 * token, so response time does not reveal how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiToken, Role } from '../config.js';
import type { Actor } from '../app/deps.js';
import { DomainError } from '../domain/errors.js';
import { requestIdOf } from './request-id.js';

export interface Caller {
  readonly name: string;
  readonly role: Role;
}

const RANK: Readonly<Record<Role, number>> = { storefront: 1, support: 2, admin: 3 };

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function createAuthenticator(tokens: readonly ApiToken[]): RequestHandler {
  const known = tokens.map((t) => ({
    caller: { name: t.name, role: t.role } satisfies Caller,
    digest: digest(t.token),
  }));
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      next(new DomainError('unauthenticated', 'Send "Authorization: Bearer <token>".'));
      return;
    }
    const presented = digest(match[1]);
    let found: Caller | null = null;
    for (const k of known) {
      if (timingSafeEqual(k.digest, presented) && found === null) found = k.caller;
    }
    if (!found) {
      next(new DomainError('unauthenticated', 'The bearer token is not valid.'));
      return;
    }
    res.locals.caller = found;
    next();
  };
}

export function callerOf(req: Request): Caller {
  const caller = (req.res?.locals as { caller?: Caller } | undefined)?.caller;
  if (!caller) throw new DomainError('unauthenticated', 'The request is not authenticated.');
  return caller;
}

/** The caller as the use cases record it: token name, role and the request id. */
export function actorOf(req: Request): Actor & Caller {
  const caller = callerOf(req);
  return { name: caller.name, role: caller.role, requestId: requestIdOf(req) };
}

export function hasRole(caller: Caller, role: Role): boolean {
  return RANK[caller.role] >= RANK[role];
}

/** Lets the request through only when the caller's role is at least `role`. */
export function requireRole(role: Role): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const caller = callerOf(req);
    if (!hasRole(caller, role)) {
      next(
        new DomainError(
          'forbidden',
          `This route needs the ${role} role; the token "${caller.name}" has ${caller.role}.`,
        ),
      );
      return;
    }
    next();
  };
}
