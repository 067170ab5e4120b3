/**
 * `Idempotency-Key` semantics of every money-moving POST (api-contract.md):
 * missing → 400 `idempotency_key_required`; the same key with the same request replays the
 * first response with `Idempotent-Replayed: true`; the same key with another request → 422
 * `idempotency_key_reused`. Keys are scoped to the caller's token name.
 *
 * Responses are remembered from the moment a request reached the ledger (success or a
 * business refusal such as `insufficient_credit`). Requests refused before that — invalid
 * body, unknown customer, platform unavailable — are not remembered and may be retried with
 * the same key, as Stripe does.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { DomainError } from '../domain/errors.js';
import type { IdempotencyScope } from '../db/idempotency-repository.js';
import type { IdempotencyKeyRow } from '../db/schema.js';
import { IdempotencyKeyHeader } from '../contracts/common.js';
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
    throw new DomainError('idempotency_key_required', 'Send an Idempotency-Key header (1–255 characters) with every money-moving POST.');
  }
  const parsed = IdempotencyKeyHeader.safeParse(header);
  if (!parsed.success) throw new DomainError('validation_failed', 'The Idempotency-Key header must be 1–255 visible ASCII characters (spaces only inside).', { errors: [{ path: 'header:Idempotency-Key', message: '1–255 visible ASCII characters' }] });
  const path = req.baseUrl + req.path;
  const requestHash = createHash('sha256').update(`${req.method} ${path}\n${canonicalJson(body)}`).digest('hex');
  return { scope: callerOf(req).name, key: parsed.data, method: req.method, path, requestHash };
}

/** Throws `idempotency_key_reused` when a stored key was used for another request. */
export function assertSameRequest(stored: IdempotencyKeyRow, scope: IdempotencyScope): void {
  if (stored.requestHash !== scope.requestHash) {
    throw new DomainError('idempotency_key_reused', `The Idempotency-Key "${scope.key}" was first used for ${stored.method} ${stored.path} with a different body. Use a new key for a new request.`);
  }
}

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

export function storedResponse(row: IdempotencyKeyRow): StoredResponse | null {
  if (row.responseStatus === null || row.completedAt === null) return null;
  return { status: row.responseStatus, body: row.responseBody };
}

export function sendStored(res: Response, stored: StoredResponse, replayed: boolean, location?: string): void {
  if (replayed) res.set('Idempotent-Replayed', 'true');
  if (location) res.set('Location', location);
  res.status(stored.status);
  if (stored.status >= 400) res.type('application/problem+json');
  res.json(stored.body);
}
