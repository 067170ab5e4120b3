/**
 * The shared parts of the OpenAPI document that every resource's registration uses: problem
 * responses by error code, the Idempotency-Key header. Imports nothing of the API itself.
 */
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { IdempotencyKeyHeader, Problem } from '../contracts/common.js';
import { ERROR_CATALOG, type ErrorCode } from '../domain/errors.js';

type ResponseMap = RouteConfig['responses'];

export const IdempotencyHeaders = z.object({
  'Idempotency-Key': IdempotencyKeyHeader.meta({
    description:
      'Required on money-moving POSTs. Same key + same body replays the first response (`Idempotent-Replayed: true`); same key + another body → 422 `idempotency_key_reused`. Scoped to the token; kept at least 24 h. Not remembered, so a retry with the same key runs again: requests refused before reaching the ledger (validation, unknown customer, a support grant over its limit), and refusals caused by a dependency that did not answer before any money was reserved (503 `platform_unavailable`, `service_unavailable`; a purchase retried so is a new attempt with a new `attemptId`), and a purchase refused by admission control (503 `overloaded`: nothing was claimed).',
  }),
});

/** Problem responses for the given codes, grouped by status. */
export function problems(...codes: ErrorCode[]): ResponseMap {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ['unauthenticated', 'forbidden', 'validation_failed', 'internal_error', ...codes] as ErrorCode[]) {
    const status = ERROR_CATALOG[code].status;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const out: ResponseMap = {};
  for (const [status, list] of byStatus) {
    out[String(status)] = {
      description: `Problem with code ${list.map((c) => `\`${c}\``).join(' or ')}`,
      ...(status === 429 ? { headers: { 'Retry-After': { ...RETRY_AFTER, required: true } } } : {}),
      ...(status === 503 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
      content: { 'application/problem+json': { schema: Problem } },
    };
  }
  return out;
}

const RETRY_AFTER = {
  description: 'Seconds to wait before retrying (a money-moving request: with the same Idempotency-Key)',
  schema: { type: 'integer' as const, minimum: 0 },
};

/** Problems of an operation with a JSON body: the body parser's 400, 413 and 415, plus `codes`. */
export function bodyProblems(...codes: ErrorCode[]): ResponseMap {
  return problems('malformed_json', 'payload_too_large', 'unsupported_media_type', ...codes);
}

/** Problems of a money-moving POST: a JSON body, the Idempotency-Key, the per-token rate limit (429), plus `codes`. */
export function moneyProblems(...codes: ErrorCode[]): ResponseMap {
  return bodyProblems('idempotency_key_required', 'idempotency_key_reused', 'rate_limited', ...codes);
}

/**
 * The same responses with `schema` as the problem body of the given statuses (e.g. a problem
 * that always carries more members); other statuses keep theirs.
 */
export function withProblemSchema(responses: ResponseMap, schema: z.ZodType, statuses: readonly number[]): ResponseMap {
  const out: ResponseMap = { ...responses };
  for (const status of statuses) {
    const response = out[String(status)];
    if (response && 'content' in response && response.content?.['application/problem+json']) {
      out[String(status)] = { ...response, content: { 'application/problem+json': { schema } } };
    }
  }
  return out;
}
