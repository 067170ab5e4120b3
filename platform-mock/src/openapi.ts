/**
 * The platform's OpenAPI 3.1 document, built from the same zod schemas that validate
 * requests. `scripts/write-openapi.ts` writes it to `platform-mock/openapi.json`; the server
 * serves it at `GET /openapi.json`; a unit test keeps the file and the schemas in step.
 *
 * The `/__control/*` endpoints are test-only and deliberately left out, so that tools driven
 * by this document (clients, fuzzers) never reach them; the README documents them.
 */
import { z } from 'zod';
import {
  Address,
  Customer,
  CustomerCreate,
  CustomerList,
  CustomerUpdate,
  Health,
  Price,
  Problem,
  Product,
  ProductCreate,
  ProductList,
  ProductUpdate,
  Shipment,
  ShipmentCreate,
  ShipmentList,
  ShippingAddress,
} from './schemas.js';

/** A JSON document. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

const COMPONENTS = {
  Address,
  ShippingAddress,
  Customer,
  CustomerCreate,
  CustomerUpdate,
  CustomerList,
  Price,
  Product,
  ProductCreate,
  ProductUpdate,
  ProductList,
  ShipmentCreate,
  Shipment,
  ShipmentList,
  Problem,
  Health,
} as const;
type ComponentName = keyof typeof COMPONENTS;

function componentSchemas(): JsonObject {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, target: 'draft-2020-12' });
  const out: JsonObject = {};
  for (const id of Object.keys(COMPONENTS)) {
    const schema = schemas[id] as JsonObject | undefined;
    if (!schema) throw new Error(`openapi: schema ${id} was not generated`);
    const { $schema: _schema, $id: _id, ...rest } = schema;
    out[id] = rest;
  }
  return out;
}

const ref = (name: ComponentName): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: ComponentName): JsonObject => ({ 'application/json': { schema: ref(name) } });
const problemRef = (name: string): JsonObject => ({ $ref: `#/components/responses/${name}` });
const param = (name: string): JsonObject => ({ $ref: `#/components/parameters/${name}` });
const header = (name: string): JsonObject => ({ $ref: `#/components/headers/${name}` });

const cachedHeaders: JsonObject = { ETag: header('ETag'), 'Cache-Control': header('Cache-Control') };

function readOk(description: string, schema: ComponentName): JsonObject {
  return { description, headers: cachedHeaders, content: jsonContent(schema) };
}

const notModified: JsonObject = {
  description: 'The representation matches `If-None-Match`; no body.',
  headers: cachedHeaders,
};

function listOperation(operationId: string, tag: string, what: string, schema: ComponentName): JsonObject {
  return {
    operationId,
    tags: [tag],
    summary: `List ${what}`,
    description:
      `Ordered by id. \`query\` matches case-insensitive substrings of the id, name and ` +
      `${tag === 'Customers' ? 'email' : 'description'}. Keyset pagination: pass \`nextCursor\` back as \`cursor\`.`,
    parameters: [param('Query'), param('Limit'), param('Cursor'), param('IfNoneMatch')],
    responses: {
      '200': readOk(`A page of ${what}.`, schema),
      '304': notModified,
      '400': problemRef('BadRequest'),
    },
  };
}

function getOperation(operationId: string, tag: string, what: string, schema: ComponentName): JsonObject {
  return {
    operationId,
    tags: [tag],
    summary: `Get a ${what}`,
    parameters: [param('Id'), param('IfNoneMatch')],
    responses: {
      '200': readOk(`The ${what}.`, schema),
      '304': notModified,
      '404': problemRef('NotFound'),
    },
  };
}

function createOperation(
  operationId: string,
  tag: string,
  what: string,
  request: ComponentName,
  schema: ComponentName,
): JsonObject {
  return {
    operationId,
    tags: [tag],
    summary: `Create a ${what}`,
    requestBody: { required: true, content: jsonContent(request) },
    responses: {
      '201': {
        description: `The created ${what}.`,
        headers: { Location: header('Location'), ETag: header('ETag') },
        content: jsonContent(schema),
      },
      '400': problemRef('BadRequest'),
      '409': problemRef('Conflict'),
      '415': problemRef('UnsupportedMediaType'),
    },
  };
}

function updateOperation(
  operationId: string,
  tag: string,
  what: string,
  request: ComponentName,
  schema: ComponentName,
): JsonObject {
  return {
    operationId,
    tags: [tag],
    summary: `Update a ${what}`,
    description: 'Partial update. `updatedAt` and the ETag always advance. Send `If-Match` for optimistic concurrency.',
    parameters: [param('Id'), param('IfMatch')],
    requestBody: {
      required: true,
      content: { ...jsonContent(request), 'application/merge-patch+json': { schema: ref(request) } },
    },
    responses: {
      '200': { description: `The updated ${what}.`, headers: { ETag: header('ETag') }, content: jsonContent(schema) },
      '400': problemRef('BadRequest'),
      '404': problemRef('NotFound'),
      '412': problemRef('PreconditionFailed'),
      '415': problemRef('UnsupportedMediaType'),
    },
  };
}

function problemResponse(description: string): JsonObject {
  return { description, content: { 'application/problem+json': { schema: ref('Problem') } } };
}

/** Builds the document; pure and deterministic, so the committed file can be checked against it. */
export function buildOpenApiDocument(): JsonObject {
  const document: JsonObject = {
    openapi: '3.1.0',
    info: {
      title: 'Platform API (platform-mock)',
      version: '1.0.0',
      description: [
        'Customers, Products and Shipments of the e-commerce platform, as served by `platform-mock`,',
        "the in-memory stand-in for the platform team's service.",
        '',
        '- Bodies are JSON; unknown fields are rejected with 400 `validation_failed`.',
        '- Times are RFC 3339 UTC strings; money is `{ amount, currency }` with `amount` in integer minor units.',
        '- Errors are RFC 9457 `application/problem+json` with a stable snake_case `code`.',
        '- Every GET of a resource or list carries a strong `ETag` (a hash of the body) and answers a',
        '  matching `If-None-Match` with 304 and no body. Customers and products are',
        '  `Cache-Control: private, max-age=30`; shipments are `private, no-cache` (always revalidate),',
        '  because a stale "no shipment for this key" answer would make a caller compensate a shipped order.',
        '- `POST /shipments` is idempotent per `Idempotency-Key`: the same key and body return the same',
        '  shipment (200 with `Idempotent-Replayed: true`); the same key with another body is 422.',
        '',
        'Test-only control endpoints (`/__control/faults`, `/__control/reset`, `/__control/calls`) exist',
        'on the mock but are not part of this document; see `platform-mock/README.md`.',
      ].join('\n'),
    },
    servers: [{ url: 'http://127.0.0.1:4010', description: 'platform-mock, default port' }],
    tags: [{ name: 'Customers' }, { name: 'Products' }, { name: 'Shipments' }, { name: 'Operations' }],
    paths: {
      '/health': {
        get: {
          operationId: 'health',
          tags: ['Operations'],
          summary: 'Liveness',
          responses: { '200': { description: 'The mock is up.', content: jsonContent('Health') } },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          tags: ['Operations'],
          summary: 'This document',
          responses: {
            '200': {
              description: 'The OpenAPI 3.1 document.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      '/customers': {
        get: listOperation('listCustomers', 'Customers', 'customers', 'CustomerList'),
        post: createOperation('createCustomer', 'Customers', 'customer', 'CustomerCreate', 'Customer'),
      },
      '/customers/{id}': {
        get: getOperation('getCustomer', 'Customers', 'customer', 'Customer'),
        patch: updateOperation('updateCustomer', 'Customers', 'customer', 'CustomerUpdate', 'Customer'),
      },
      '/products': {
        get: listOperation('listProducts', 'Products', 'products', 'ProductList'),
        post: createOperation('createProduct', 'Products', 'product', 'ProductCreate', 'Product'),
      },
      '/products/{id}': {
        get: getOperation('getProduct', 'Products', 'product', 'Product'),
        patch: updateOperation('updateProduct', 'Products', 'product', 'ProductUpdate', 'Product'),
      },
      '/shipments': {
        get: {
          operationId: 'listShipments',
          tags: ['Shipments'],
          summary: 'List shipments, or find the one created with an idempotency key',
          description: 'Without `idempotencyKey`: every shipment in creation order. With it: zero or one shipment.',
          parameters: [
            {
              name: 'idempotencyKey',
              in: 'query',
              required: false,
              description: 'The `Idempotency-Key` a shipment was created with.',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
            param('IfNoneMatch'),
          ],
          responses: {
            '200': readOk('Matching shipments.', 'ShipmentList'),
            '304': notModified,
            '400': problemRef('BadRequest'),
          },
        },
        post: {
          operationId: 'createShipment',
          tags: ['Shipments'],
          summary: 'Create a shipment (idempotent)',
          description: [
            'Requires `Idempotency-Key` (400 `idempotency_key_required` without it).',
            'The same key with the same body returns the existing shipment with 200 and `Idempotent-Replayed: true`,',
            'whatever its current status; the same key with a different body is 422 `idempotency_key_reused`.',
            'Only a successful creation binds a key: a rejected request can be corrected and resent with the same key.',
            'An address missing line1, city, postalCode or country, with a blank postalCode, or a country that is not',
            'two upper-case letters is 400 `invalid_address`. Unknown customer or product ids are 422',
            '`unknown_customer` / `unknown_product`. The platform does not check whether the product is active;',
            "that is the caller's business rule.",
          ].join(' '),
          parameters: [param('IdempotencyKey')],
          requestBody: { required: true, content: jsonContent('ShipmentCreate') },
          responses: {
            '201': {
              description: 'The shipment was created.',
              headers: { Location: header('Location'), ETag: header('ETag') },
              content: jsonContent('Shipment'),
            },
            '200': {
              description: 'A replay: the shipment created earlier with this key and body.',
              headers: { 'Idempotent-Replayed': header('Idempotent-Replayed'), ETag: header('ETag') },
              content: jsonContent('Shipment'),
            },
            '400': problemResponse(
              '`idempotency_key_required`, `invalid_idempotency_key`, `invalid_address`, `validation_failed` or `invalid_json`.',
            ),
            '415': problemRef('UnsupportedMediaType'),
            '422': problemResponse('`idempotency_key_reused`, `unknown_customer` or `unknown_product`.'),
          },
        },
      },
      '/shipments/{id}': {
        get: getOperation('getShipment', 'Shipments', 'shipment', 'Shipment'),
      },
      '/shipments/{id}/cancel': {
        post: {
          operationId: 'cancelShipment',
          tags: ['Shipments'],
          summary: 'Cancel a shipment (idempotent)',
          description: [
            'Sets `status` to `cancelled`. Cancelling a cancelled shipment returns it unchanged (200), so a retried cancel is',
            'harmless. A shipment that has `shipped` can no longer be cancelled: 409 `shipment_not_cancellable`. No body, or `{}`.',
          ].join(' '),
          parameters: [param('Id')],
          responses: {
            '200': {
              description: 'The cancelled shipment.',
              headers: { ETag: header('ETag') },
              content: jsonContent('Shipment'),
            },
            '400': problemRef('BadRequest'),
            '404': problemRef('NotFound'),
            '409': problemResponse('`shipment_not_cancellable`: the shipment has already shipped.'),
          },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      parameters: {
        Id: { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1 } },
        Query: {
          name: 'query',
          in: 'query',
          required: false,
          description: 'Case-insensitive substring filter.',
          schema: { type: 'string', maxLength: 200 },
        },
        Limit: {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
        Cursor: {
          name: 'cursor',
          in: 'query',
          required: false,
          description: 'Opaque; the `nextCursor` of the previous page.',
          schema: { type: 'string', minLength: 1 },
        },
        IfNoneMatch: {
          name: 'If-None-Match',
          in: 'header',
          required: false,
          description: 'An ETag from an earlier response; a match answers 304.',
          schema: { type: 'string' },
        },
        IfMatch: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'Apply the update only if the current ETag matches; otherwise 412 `precondition_failed`.',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: '1–255 characters, chosen by the caller; one shipment per key.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      headers: {
        ETag: { description: 'Strong validator: a hash of the response body.', schema: { type: 'string' } },
        'Cache-Control': {
          description: '`private, max-age=30` for customers and products; `private, no-cache` for shipments.',
          schema: { type: 'string' },
        },
        Location: { description: 'Path of the created resource.', schema: { type: 'string' } },
        'Idempotent-Replayed': {
          description: '`true` when the response replays an earlier creation.',
          schema: { type: 'string', enum: ['true'] },
        },
      },
      responses: {
        BadRequest: problemResponse(
          'Invalid request: `validation_failed` (with `errors`), `invalid_json`, `invalid_cursor`.',
        ),
        NotFound: problemResponse('`customer_not_found`, `product_not_found` or `shipment_not_found`.'),
        Conflict: problemResponse('`customer_exists` or `product_exists`: the given id is taken.'),
        PreconditionFailed: problemResponse('`precondition_failed`: `If-Match` does not match the current ETag.'),
        UnsupportedMediaType: problemResponse('`unsupported_media_type`: send `application/json`.'),
        Unavailable: problemResponse(
          'Any other failure, such as 503 while the platform is unavailable. 5xx answers are transient: ' +
            'retry reads, and retry `POST /shipments` with the same `Idempotency-Key`.',
        ),
      },
    },
  };
  addDefaultResponses(document);
  return document;
}

/** Every platform operation can fail transiently; say so once per operation. */
function addDefaultResponses(document: JsonObject): void {
  const paths = document.paths as JsonObject;
  for (const [path, item] of Object.entries(paths)) {
    if (path === '/health' || path === '/openapi.json') continue;
    for (const operation of Object.values(item as JsonObject)) {
      const responses = (operation as JsonObject).responses as JsonObject;
      responses.default = problemRef('Unavailable');
    }
  }
}
