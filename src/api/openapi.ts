/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests
 * (src/contracts). Each resource registers its own paths (with the shared parts of
 * `openapi-parts.ts`); this module assembles them with the security scheme.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerApprovalPaths } from './approvals/openapi.js';
import { enrichDocument } from './openapi-enrich.js';
import { registerAuditPaths } from './audit/openapi.js';
import { registerCatalogPaths } from './catalog/openapi.js';
import { registerCreditPaths } from './credit/openapi.js';
import { registerPromoCodePaths } from './promo-codes/openapi.js';
import { registerPurchaseAttemptPaths } from './purchase-attempts/openapi.js';
import { registerPurchasePaths } from './purchases/openapi.js';
import { registerReconciliationPaths } from './reconciliation/openapi.js';
import { registerEventPaths } from './events/openapi.js';
import { registerOpsPaths } from './ops/openapi.js';
import { registerSessionPaths } from './session/openapi.js';
import { registerWebhookPaths } from './webhooks/openapi.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

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
  registerAuditPaths(registry);
  registerPurchaseAttemptPaths(registry);
  registerReconciliationPaths(registry);
  registerPromoCodePaths(registry);
  registerApprovalPaths(registry);
  registerEventPaths(registry);
  registerWebhookPaths(registry);
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return enrichDocument(
    generator.generateDocument({
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
    }),
  );
}
