/**
 * The HTTP side of `Idempotency-Key` (the rules themselves are `src/app/idempotent.ts`):
 * missing → 400 `idempotency_key_required`; the key, the caller's token name, the route and a
 * hash of the canonical body make the request's scope.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { IdempotencyScope } from '../app/idempotent.js';
import { IdempotencyKeyHeader } from '../contracts/common.js';
import { DomainError } from '../domain/errors.js';
import { callerOf } from './auth.js';

/** Canonical JSON: object keys sorted, so `{a,b}` and `{b,a}` hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyScope(req: Request, body: unknown): IdempotencyScope {
  const header = req.get('idempotency-key');
  if (header === undefined) {
    throw new DomainError(
      'idempotency_key_required',
      'Send an Idempotency-Key header (1–255 characters) with every money-moving POST.',
    );
  }
  const parsed = IdempotencyKeyHeader.safeParse(header);
  if (!parsed.success)
    throw new DomainError(
      'validation_failed',
      'The Idempotency-Key header must be 1–255 visible ASCII characters (spaces only inside).',
      { errors: [{ path: 'header:Idempotency-Key', message: '1–255 visible ASCII characters' }] },
    );
  const path = req.baseUrl + req.path;
  const requestHash = createHash('sha256')
    .update(`${req.method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
  return { scope: callerOf(req).name, key: parsed.data, method: req.method, path, requestHash };
}
