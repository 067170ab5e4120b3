/**
 * What the generated OpenAPI document needs beyond what each route registers: an operationId
 * for every operation, the top-level tag declarations, the links from each creating operation
 * to the reads and actions on what it created (so clients — and Schemathesis' stateful phase —
 * can follow real flows), and the table of methods per path that the 405 handler answers from.
 * Pure functions over the document; no I/O.
 */

/** The parts of an OpenAPI 3.1 document this module reads and writes. */
export interface OpenApiLink {
  readonly operationId: string;
  readonly parameters: Record<string, string>;
  /** Members of the target's JSON body, as runtime expressions; the rest of the body is the caller's. */
  readonly requestBody?: Record<string, string>;
  readonly description?: string;
}
interface OpenApiResponse {
  description?: string;
  links?: Record<string, OpenApiLink>;
  [key: string]: unknown;
}
interface OpenApiOperation {
  operationId?: string;
  tags?: string[];
  responses?: Record<string, OpenApiResponse | undefined>;
  [key: string]: unknown;
}
interface OpenApiTag {
  name: string;
  description?: string;
}
export interface EnrichableDocument {
  paths?: Record<string, object | undefined>;
  tags?: OpenApiTag[];
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

/** Descriptions of the tags the registrars use; a tag missing here still gets declared. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  Operations: 'Liveness, readiness and this document. No authentication.',
  Session: 'Who the token is.',
  Credit: 'Balances, grants, deductions and the immutable ledger entries behind them.',
  'Platform views': 'Customers and products as the platform reports them, for the internal app (cached views).',
  Purchases: 'Purchases (each a Temporal saga) and their attempts.',
  Refunds: 'Full and partial refunds of purchases.',
  Reconciliation: 'Runs of the ledger reconciliation and their findings (admin).',
  'Promo codes': 'Discount codes and their audit trail (admin).',
  Audit: "Balances at an instant, statements, the finance export and the ledger's hash-chain verification.",
  Approvals: "Large credit changes by support waiting for an admin's decision (maker–checker).",
  Events: 'The events feed: every change that matters outside, in a gap-free sequence (transactional outbox).',
  Webhooks:
    'Endpoints that receive events as signed HTTP POSTs (Standard Webhooks), at least once and in order per endpoint, and their delivery log (admin).',
};

/**
 * The operationIds of the operations registered without one, by method and path. New routes
 * should name theirs where they register; what is in neither place gets a derived id.
 */
const OPERATION_IDS: Record<string, string> = {
  'GET /v1/health': 'getHealth',
  'GET /v1/ready': 'getReadiness',
  'GET /v1/openapi.json': 'getOpenApiDocument',
  'GET /v1/me': 'getSession',
  'GET /v1/customers/{customerId}/credit': 'getCreditBalance',
  'GET /v1/customers/{customerId}/credit/entries': 'listCreditEntries',
  'POST /v1/customers/{customerId}/credit/grants': 'grantCredit',
  'POST /v1/customers/{customerId}/credit/deductions': 'deductCredit',
  'GET /v1/customers': 'listCustomers',
  'GET /v1/customers/{customerId}': 'getCustomer',
  'GET /v1/products': 'listProducts',
  'GET /v1/products/{productId}': 'getProduct',
  'POST /v1/purchases': 'createPurchase',
  'GET /v1/purchases': 'listPurchases',
  'GET /v1/purchases/{purchaseId}': 'getPurchase',
  'GET /v1/purchase-attempts/{attemptId}': 'getPurchaseAttempt',
  'GET /v1/purchase-attempts': 'listPurchaseAttempts',
  'POST /v1/purchase-attempts/{attemptId}/cancel': 'cancelPurchaseAttempt',
  'POST /v1/purchases/{purchaseId}/refunds': 'createRefund',
  'GET /v1/purchases/{purchaseId}/refunds': 'listRefunds',
  'GET /v1/reconciliation/runs': 'listReconciliationRuns',
  'POST /v1/reconciliation/runs': 'startReconciliationRun',
  'GET /v1/reconciliation/runs/{runId}': 'getReconciliationRun',
  'POST /v1/promo-codes': 'createPromoCode',
  'GET /v1/promo-codes': 'listPromoCodes',
  'GET /v1/promo-codes/{code}': 'getPromoCode',
  'PATCH /v1/promo-codes/{code}': 'updatePromoCode',
  'DELETE /v1/promo-codes/{code}': 'deletePromoCode',
  'GET /v1/customers/{customerId}/credit/statement': 'getCreditStatement',
  'GET /v1/ledger/entries/export': 'exportLedgerEntries',
  'POST /v1/ledger/verify': 'verifyLedger',
  'GET /v1/approvals': 'listApprovals',
  'GET /v1/approvals/{approvalId}': 'getApproval',
  'POST /v1/approvals/{approvalId}/approve': 'approveCreditChange',
  'POST /v1/approvals/{approvalId}/reject': 'rejectCreditChange',
};

/** A link from a response to an operation, with parameters as OpenAPI runtime expressions. */
interface LinkRule {
  readonly from: string;
  readonly statuses: readonly string[];
  readonly name: string;
  readonly to: string;
  readonly parameters: Record<string, string>;
  readonly requestBody?: Record<string, string>;
  readonly description: string;
}

/**
 * From each operation that creates something to what can be done with it. Parameters are
 * runtime expressions (`$response.body#/id`, `$request.path.customerId`).
 */
const LINKS: readonly LinkRule[] = [
  {
    from: 'listEvents',
    statuses: ['200'],
    name: 'NextEvents',
    to: 'listEvents',
    parameters: { after: '$response.body#/nextAfter' },
    description: 'The events after this page (poll with it)',
  },
  {
    from: 'createPurchase',
    statuses: ['201'],
    name: 'GetPurchase',
    to: 'getPurchase',
    parameters: { purchaseId: '$response.body#/id' },
    description: 'The purchase just made',
  },
  {
    from: 'createPurchase',
    statuses: ['201'],
    name: 'ListRefunds',
    to: 'listRefunds',
    parameters: { purchaseId: '$response.body#/id' },
    description: 'Its refunds',
  },
  {
    from: 'createPurchase',
    statuses: ['201'],
    name: 'CreateRefund',
    to: 'createRefund',
    parameters: { purchaseId: '$response.body#/id' },
    description: 'Refund it',
  },
  {
    from: 'createPurchase',
    statuses: ['201', '202'],
    name: 'GetPurchaseAttempt',
    to: 'getPurchaseAttempt',
    parameters: { attemptId: '$response.body#/id' },
    description: 'The attempt: pending until the saga ends, then its outcome',
  },
  {
    from: 'listPurchaseAttempts',
    statuses: ['200'],
    name: 'GetFirstPurchaseAttempt',
    to: 'getPurchaseAttempt',
    parameters: { attemptId: '$response.body#/data/0/id' },
    description: 'The newest attempt of the page',
  },
  {
    from: 'createPurchase',
    statuses: ['202'],
    name: 'CancelPurchaseAttempt',
    to: 'cancelPurchaseAttempt',
    parameters: { attemptId: '$response.body#/id' },
    description: 'Give up the saga still running (admin)',
  },
  {
    from: 'getPurchaseAttempt',
    statuses: ['200'],
    name: 'CancelPurchaseAttempt',
    to: 'cancelPurchaseAttempt',
    parameters: { attemptId: '$response.body#/id' },
    description: 'Give up the attempt while it is pending (admin)',
  },
  {
    from: 'listPurchaseAttempts',
    statuses: ['200'],
    name: 'CancelFirstPurchaseAttempt',
    to: 'cancelPurchaseAttempt',
    parameters: { attemptId: '$response.body#/data/0/id' },
    description: 'Give up the newest attempt of the page while it is pending (admin)',
  },
  {
    from: 'createRefund',
    statuses: ['201'],
    name: 'GetPurchase',
    to: 'getPurchase',
    parameters: { purchaseId: '$response.body#/purchaseId' },
    description: 'The refunded purchase',
  },
  {
    from: 'createRefund',
    statuses: ['201'],
    name: 'ListRefunds',
    to: 'listRefunds',
    parameters: { purchaseId: '$response.body#/purchaseId' },
    description: 'All refunds of the purchase',
  },
  {
    from: 'listPurchases',
    statuses: ['200'],
    name: 'GetFirstPurchase',
    to: 'getPurchase',
    parameters: { purchaseId: '$response.body#/data/0/id' },
    description: 'The newest purchase of the page',
  },
  {
    from: 'grantCredit',
    statuses: ['201'],
    name: 'ListCreditEntries',
    to: 'listCreditEntries',
    parameters: { customerId: '$request.path.customerId' },
    description: 'The ledger the entry was appended to',
  },
  {
    from: 'grantCredit',
    statuses: ['201'],
    name: 'GetCreditBalance',
    to: 'getCreditBalance',
    parameters: { customerId: '$request.path.customerId' },
    description: 'The balance after it',
  },
  {
    from: 'deductCredit',
    statuses: ['201'],
    name: 'ListCreditEntries',
    to: 'listCreditEntries',
    parameters: { customerId: '$request.path.customerId' },
    description: 'The ledger the entry was appended to',
  },
  {
    from: 'deductCredit',
    statuses: ['201'],
    name: 'GetCreditBalance',
    to: 'getCreditBalance',
    parameters: { customerId: '$request.path.customerId' },
    description: 'The balance after it',
  },
  {
    from: 'grantCredit',
    statuses: ['202'],
    name: 'GetApproval',
    to: 'getApproval',
    parameters: { approvalId: '$response.body#/approvalId' },
    description: 'The approval the grant waits for',
  },
  {
    from: 'grantCredit',
    statuses: ['202'],
    name: 'ApproveCreditChange',
    to: 'approveCreditChange',
    parameters: { approvalId: '$response.body#/approvalId' },
    description: 'Approve it (admin, not the requester)',
  },
  {
    from: 'grantCredit',
    statuses: ['202'],
    name: 'RejectCreditChange',
    to: 'rejectCreditChange',
    parameters: { approvalId: '$response.body#/approvalId' },
    description: 'Reject it (admin)',
  },
  {
    from: 'deductCredit',
    statuses: ['202'],
    name: 'GetApproval',
    to: 'getApproval',
    parameters: { approvalId: '$response.body#/approvalId' },
    description: 'The approval the deduction waits for',
  },
  {
    from: 'deductCredit',
    statuses: ['202'],
    name: 'ApproveCreditChange',
    to: 'approveCreditChange',
    parameters: { approvalId: '$response.body#/approvalId' },
    description: 'Approve it (admin, not the requester)',
  },
  {
    from: 'deductCredit',
    statuses: ['202'],
    name: 'RejectCreditChange',
    to: 'rejectCreditChange',
    parameters: { approvalId: '$response.body#/approvalId' },
    description: 'Reject it (admin)',
  },
  {
    from: 'approveCreditChange',
    statuses: ['201'],
    name: 'ListCreditEntries',
    to: 'listCreditEntries',
    parameters: { customerId: '$response.body#/approval/customerId' },
    description: 'The ledger the approved entry was appended to',
  },
  {
    from: 'listApprovals',
    statuses: ['200'],
    name: 'GetFirstApproval',
    to: 'getApproval',
    parameters: { approvalId: '$response.body#/data/0/id' },
    description: 'The newest approval of the page',
  },
  {
    from: 'listApprovals',
    statuses: ['200'],
    name: 'ApproveFirstApproval',
    to: 'approveCreditChange',
    parameters: { approvalId: '$response.body#/data/0/id' },
    description: 'Approve the newest approval of the page (admin, not the requester)',
  },
  {
    from: 'listApprovals',
    statuses: ['200'],
    name: 'RejectFirstApproval',
    to: 'rejectCreditChange',
    parameters: { approvalId: '$response.body#/data/0/id' },
    description: 'Reject the newest approval of the page (admin)',
  },
  {
    from: 'createPromoCode',
    statuses: ['201'],
    name: 'GetPromoCode',
    to: 'getPromoCode',
    parameters: { code: '$response.body#/code' },
    description: 'The code with its audit trail',
  },
  {
    from: 'createPromoCode',
    statuses: ['201'],
    name: 'UpdatePromoCode',
    to: 'updatePromoCode',
    parameters: { code: '$response.body#/code' },
    description: 'Change its rules',
  },
  {
    from: 'createPromoCode',
    statuses: ['201'],
    name: 'DeletePromoCode',
    to: 'deletePromoCode',
    parameters: { code: '$response.body#/code' },
    description: 'Remove it, or deactivate it once used',
  },
  {
    from: 'createPromoCode',
    statuses: ['201'],
    name: 'CreatePurchaseWithPromoCode',
    to: 'createPurchase',
    parameters: {},
    requestBody: { promoCode: '$response.body#/code' },
    description: "Buy with the code (the rest of the purchase body is the caller's)",
  },
  {
    from: 'startReconciliationRun',
    statuses: ['201', '202'],
    name: 'GetReconciliationRun',
    to: 'getReconciliationRun',
    parameters: { runId: '$response.body#/id' },
    description: 'The run and its findings',
  },
  {
    from: 'listCustomers',
    statuses: ['200'],
    name: 'GetFirstCustomer',
    to: 'getCustomer',
    parameters: { customerId: '$response.body#/data/0/id' },
    description: 'The first customer of the page',
  },
  {
    from: 'listProducts',
    statuses: ['200'],
    name: 'GetFirstProduct',
    to: 'getProduct',
    parameters: { productId: '$response.body#/data/0/id' },
    description: 'The first product of the page',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'GetWebhookEndpoint',
    to: 'getWebhookEndpoint',
    parameters: { id: '$response.body#/id' },
    description: 'The endpoint just created',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'UpdateWebhookEndpoint',
    to: 'updateWebhookEndpoint',
    parameters: { id: '$response.body#/id' },
    description: 'Change, disable or enable it',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'DeleteWebhookEndpoint',
    to: 'deleteWebhookEndpoint',
    parameters: { id: '$response.body#/id' },
    description: 'Delete it',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'ListWebhookDeliveries',
    to: 'listWebhookDeliveries',
    parameters: { id: '$response.body#/id' },
    description: 'Its delivery attempts',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'SendWebhookTest',
    to: 'sendWebhookTest',
    parameters: { id: '$response.body#/id' },
    description: 'Send it a test event',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'ResendWebhookEvent',
    to: 'resendWebhookEvent',
    parameters: { id: '$response.body#/id' },
    description: 'Deliver an event to it again',
  },
  {
    from: 'createWebhookEndpoint',
    statuses: ['201'],
    name: 'RotateWebhookSecret',
    to: 'rotateWebhookSecret',
    parameters: { id: '$response.body#/id' },
    description: 'Rotate its signing secret',
  },
];

function isOperation(method: string, value: unknown): value is OpenApiOperation {
  return (HTTP_METHODS as readonly string[]).includes(method) && typeof value === 'object' && value !== null;
}

function* operations(
  doc: EnrichableDocument,
): Generator<{ path: string; method: HttpMethod; operation: OpenApiOperation }> {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, value] of Object.entries(item ?? {})) {
      if (isOperation(method, value)) yield { path, method: method as HttpMethod, operation: value };
    }
  }
}

function pascal(words: readonly string[]): string {
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * A readable operationId for an operation that registered none: the verb from the method and
 * whether the path ends in a parameter, the nouns from its literal segments
 * (`GET /v1/webhook-endpoints/{id}/deliveries` → `listWebhookEndpointDeliveries`).
 */
export function deriveOperationId(method: string, path: string): string {
  const segments = path.split('/').filter((s) => s.length > 0 && s !== 'v1');
  const endsInParam = segments.at(-1)?.startsWith('{') ?? false;
  const nouns = segments
    .filter((s) => !s.startsWith('{'))
    .flatMap((s) => s.split(/[-_.]/))
    .filter((w) => w.length > 0);
  const verb =
    method === 'get'
      ? endsInParam
        ? 'get'
        : 'list'
      : method === 'post'
        ? 'create'
        : method === 'patch' || method === 'put'
          ? 'update'
          : method === 'delete'
            ? 'delete'
            : method;
  return `${verb}${pascal(nouns)}`;
}

/** A list's `cursor` can be well-formed and still not one this API issued: 422 `cursor_invalid`. */
function addCursorProblem(operation: OpenApiOperation): void {
  const parameters = Array.isArray(operation.parameters)
    ? (operation.parameters as { in?: unknown; name?: unknown }[])
    : [];
  if (!parameters.some((p) => p.in === 'query' && p.name === 'cursor')) return;
  const responses = (operation.responses ??= {});
  const existing = responses['422'];
  if (existing) {
    if (!existing.description?.includes('`cursor_invalid`'))
      existing.description = `${existing.description ?? 'Problem'} or \`cursor_invalid\``;
    return;
  }
  responses['422'] = {
    description: 'Problem with code `cursor_invalid`',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** Adds the operationIds, tag declarations and links; returns the same document. */
export function enrichDocument<T extends EnrichableDocument>(doc: T): T {
  const byId = new Map<string, OpenApiOperation>();
  const tags = new Set<string>();
  for (const { path, method, operation } of operations(doc)) {
    operation.operationId ??= OPERATION_IDS[`${method.toUpperCase()} ${path}`] ?? deriveOperationId(method, path);
    if (byId.has(operation.operationId))
      throw new Error(`duplicate operationId ${operation.operationId} (${method.toUpperCase()} ${path})`);
    byId.set(operation.operationId, operation);
    for (const tag of operation.tags ?? []) tags.add(tag);
  }
  for (const { operation } of operations(doc)) addCursorProblem(operation);
  doc.tags = [...tags].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name }));
  for (const rule of LINKS) {
    const from = byId.get(rule.from);
    if (!from || !byId.has(rule.to)) throw new Error(`link ${rule.from} → ${rule.to}: no such operation`);
    for (const status of rule.statuses) {
      const response = from.responses?.[status];
      if (!response) throw new Error(`link ${rule.from} → ${rule.to}: ${rule.from} has no ${status} response`);
      response.links = {
        ...response.links,
        [rule.name]: {
          operationId: rule.to,
          parameters: rule.parameters,
          ...(rule.requestBody ? { requestBody: rule.requestBody } : {}),
          description: rule.description,
        },
      };
    }
  }
  return doc;
}

/** A path template of the document with the methods it declares, for answering 405. */
export interface PathMethods {
  readonly template: string;
  readonly pattern: RegExp;
  readonly methods: readonly string[];
  /** Every operation of the path declares `security: []` (no token needed). */
  readonly public: boolean;
}

/** Each documented path as a matcher (a `{param}` is one non-empty segment) and its methods, upper-case. */
export function pathMethods(doc: EnrichableDocument): PathMethods[] {
  return Object.entries(doc.paths ?? {}).map(([template, item]) => {
    const source = template
      .split('/')
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const declared = Object.entries(item ?? {}).filter(([m, value]) => isOperation(m, value)) as [
      string,
      OpenApiOperation,
    ][];
    const methods = declared.map(([m]) => m.toUpperCase());
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    const isPublic = declared.every(
      ([, operation]) => Array.isArray(operation.security) && operation.security.length === 0,
    );
    return { template, pattern: new RegExp(`^${source}/?$`), methods, public: isPublic };
  });
}
