/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests
 * (src/contracts). Each resource registers its own paths; this module adds the shared parts:
 * security, problem responses, the Idempotency-Key header.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { IdempotencyKeyHeader, Problem } from '../contracts/common.js';
import { ERROR_CATALOG, type ErrorCode } from '../domain/errors.js';
import { registerApprovalPaths } from './approvals/openapi.js';
import { enrichDocument } from './openapi-enrich.js';
import { registerCatalogPaths } from './catalog/openapi.js';
import { registerCreditPaths } from './credit/openapi.js';
import { registerPromoCodePaths } from './promo-codes/openapi.js';
import { registerPurchasePaths } from './purchases/openapi.js';
import { registerReconciliationPaths } from './reconciliation/openapi.js';
import { registerOpsPaths } from './ops/openapi.js';
import { registerSessionPaths } from './session/openapi.js';

type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
type ResponseMap = RouteConfig['responses'];

export const IdempotencyHeaders = z.object({
  'Idempotency-Key': IdempotencyKeyHeader.meta({
    description: 'Required on money-moving POSTs. Same key + same body replays the first response (`Idempotent-Replayed: true`); same key + another body → 422 `idempotency_key_reused`. Scoped to the token; kept at least 24 h. Requests refused before reaching the ledger (validation, unknown customer, platform unavailable) are not remembered.',
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

export function buildOpenApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from API_TOKENS. Roles nest: storefront ⊂ support ⊂ admin.',
  });
  registerOpsPaths(registry);
  registerSessionPaths(registry);
  registerCreditPaths(registry);
  registerCatalogPaths(registry);
  registerPurchasePaths(registry);
  registerReconciliationPaths(registry);
  registerPromoCodePaths(registry);
  registerApprovalPaths(registry);
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return enrichDocument(generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Purchase and credit-ledger service',
      version: '1.0.0',
      contact: { name: 'Purchase-ledger team', url: 'https://docs.purchase-ledger.example/' },
      license: { name: 'Proprietary (internal service)', url: 'https://docs.purchase-ledger.example/license' },
      description: [
        'Customers pay with a credit balance kept by this service. Money is integer minor units (cents) with an ISO 4217 currency.',
        'Errors are RFC 9457 problem details with a stable `code`. Lists use keyset pagination (`limit` 1–100, `cursor`), newest first.',
        'Every money-moving POST requires an `Idempotency-Key`.',
        'A method this document does not declare for a path it does declare answers 405 `method_not_allowed` with an `Allow` header listing the declared methods (after authentication, for paths under `/v1` that need it); an unknown path answers 404 `not_found`.',
        'Status codes: 400 means the request does not match this document (a schema or a documented cross-field rule); 422 means a well-formed request that the current state refuses (another currency, an inactive product, a refund beyond what is refundable, an Idempotency-Key used for another request). Clients branch on `code`, never on the message.',
      ].join('\n\n'),
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
  }));
}
