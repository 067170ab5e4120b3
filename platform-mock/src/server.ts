/**
 * platform-mock: an in-memory stand-in for the platform team's Customers, Products and
 * Shipments API, with test controls for faults and call counts. It shares no code with the
 * purchase service; the service reaches it over HTTP only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { CallCounter, FaultRegistry } from './control.js';
import {
  CACHE_NONE,
  CACHE_REUSABLE,
  CACHE_REVALIDATE,
  ProblemError,
  etagOfValue,
  ifMatchMatches,
  issuesOf,
  sendJson,
  sendProblem,
} from './http.js';
import { buildOpenApiDocument } from './openapi.js';
import type { JsonObject } from './openapi.js';
import {
  CustomerCreate,
  CustomerUpdate,
  FaultSpec,
  IdempotencyKey,
  ProductCreate,
  ProductUpdate,
  ShipmentCreate,
} from './schemas.js';
import type { Operation } from './schemas.js';
import { PlatformStore } from './store.js';
import type { ListQuery } from './store.js';
import { webhookReceiver } from './webhook-receiver.js';

export interface PlatformAppOptions {
  /** Artificial latency added to every platform operation (not to /health, /openapi.json or /__control). */
  latencyMs?: number;
  /** A store to serve; a freshly seeded one by default. */
  store?: PlatformStore;
}

export interface PlatformApp {
  app: express.Express;
  store: PlatformStore;
  faults: FaultRegistry;
  calls: CallCounter;
  /** Abandons requests held by latency or `timeout` faults, so a closing server need not wait. */
  shutdown(): void;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const jsonBody = express.json({ type: ['application/json', 'application/*+json'], limit: '100kb' });

interface Context {
  store: PlatformStore;
  faults: FaultRegistry;
  calls: CallCounter;
  latencyMs: number;
  signal: AbortSignal;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The parsed JSON body; 415 when a body came in another media type. */
function bodyOf(req: Request): unknown {
  const body: unknown = req.body;
  if (body !== undefined) return body;
  if (hasBody(req)) throw new ProblemError(415, 'unsupported_media_type', 'Send the request body as application/json.');
  return undefined;
}

function parseBody<T>(schema: z.ZodType<T>, req: Request): T {
  const body = bodyOf(req);
  if (body === undefined) throw new ProblemError(400, 'validation_failed', 'A JSON request body is required.');
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ProblemError(400, 'validation_failed', 'The request body is invalid.', {
      errors: issuesOf(parsed.error),
    });
  }
  return parsed.data;
}

function pathId(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || id === '') throw new ProblemError(404, 'not_found', 'No such resource.');
  return id;
}

function queryParam(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new ProblemError(400, 'validation_failed', `Query parameter "${name}" must be given at most once.`, {
    errors: [{ path: name, message: 'must be a single value' }],
  });
}

const CursorPayload = z.strictObject({ after: z.string().min(1) });

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const payload: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return CursorPayload.parse(payload).after;
  } catch {
    throw new ProblemError(400, 'invalid_cursor', 'The cursor is not one this API issued.');
  }
}

function listQuery(req: Request): ListQuery {
  const rawLimit = queryParam(req, 'limit');
  let limit = DEFAULT_LIMIT;
  if (rawLimit !== undefined) {
    limit = /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      throw new ProblemError(400, 'validation_failed', `limit must be an integer from 1 to ${MAX_LIMIT}.`, {
        errors: [{ path: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` }],
      });
    }
  }
  const query = queryParam(req, 'query');
  if (query !== undefined && query.length > 200) {
    throw new ProblemError(400, 'validation_failed', 'query is too long.', {
      errors: [{ path: 'query', message: 'at most 200 characters' }],
    });
  }
  const cursor = queryParam(req, 'cursor');
  return { query, limit, after: cursor === undefined ? undefined : decodeCursor(cursor) };
}

function idempotencyKeyOf(req: Request): string {
  const key = req.get('Idempotency-Key');
  if (key === undefined || key === '') {
    throw new ProblemError(400, 'idempotency_key_required', 'POST /shipments requires an Idempotency-Key header.');
  }
  if (!IdempotencyKey.safeParse(key).success) {
    throw new ProblemError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters.');
  }
  return key;
}

function checkIfMatch(req: Request, current: unknown): void {
  const header = req.get('If-Match');
  if (header !== undefined && !ifMatchMatches(header, etagOfValue(current))) {
    throw new ProblemError(
      412,
      'precondition_failed',
      'If-Match does not match the current ETag; fetch the resource again.',
    );
  }
}

function methodNotAllowed(allow: string): RequestHandler {
  return (req) => {
    throw new ProblemError(405, 'method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}.`, {
      headers: { Allow: allow },
    });
  };
}

/**
 * Wraps a platform operation: count the call, read the body, add latency, apply the next
 * queued fault, then run the handler. A `timeout` fault delays and then performs the
 * operation even if the caller has gone (the outcome the caller cannot know), which is why
 * the body is read before the delay: an aborted request's stream can no longer be read.
 */
function operation(ctx: Context, name: Operation, handler: (req: Request, res: Response) => void): RequestHandler[] {
  const count: RequestHandler = (_req, _res, next) => {
    ctx.calls.increment(name);
    next();
  };
  const delayAndFault = async (_req: Request, _res: Response, next: NextFunction): Promise<void> => {
    try {
      if (ctx.latencyMs > 0) await sleep(ctx.latencyMs, undefined, { signal: ctx.signal });
      const fault = ctx.faults.take(name);
      if (fault && fault.delayMs > 0) await sleep(fault.delayMs, undefined, { signal: ctx.signal });
      if (fault?.mode === 'error') {
        throw new ProblemError(fault.status ?? 503, 'injected_fault', `Injected fault on ${name}.`);
      }
      if (fault?.mode === 'reject') {
        throw new ProblemError(fault.status ?? 400, 'rejected', 'injected rejection');
      }
    } catch (error) {
      // The server is shutting down: its connections are being destroyed, nobody is listening.
      if (ctx.signal.aborted) return;
      throw error;
    }
    next();
  };
  const run: RequestHandler = (req, res) => handler(req, res);
  return [count, jsonBody, delayAndFault, run];
}

function registerPlatformRoutes(app: express.Express, ctx: Context): void {
  const { store } = ctx;
  let openapi: JsonObject | undefined;

  app.get('/health', (_req, res) => {
    res.setHeader('Cache-Control', CACHE_NONE);
    res.json({ status: 'ok' });
  });
  app.get('/openapi.json', (req, res) => {
    openapi ??= buildOpenApiDocument();
    sendJson(req, res, openapi, { cacheControl: 'public, max-age=300' });
  });

  // Customers
  app
    .route('/customers')
    .get(
      ...operation(ctx, 'listCustomers', (req, res) => {
        const q = listQuery(req);
        const page = store.listCustomers(q);
        const last = page.items.at(-1);
        const nextCursor = page.hasMore && last ? encodeCursor(last.id) : null;
        sendJson(req, res, { data: page.items, nextCursor }, { cacheControl: CACHE_REUSABLE });
      }),
    )
    .post(
      ...operation(ctx, 'createCustomer', (req, res) => {
        const input = parseBody(CustomerCreate, req);
        const result = store.createCustomer(input);
        if (!result.ok)
          throw new ProblemError(409, 'customer_exists', `A customer with id ${input.id ?? ''} already exists.`);
        sendJson(req, res, result.value, {
          status: 201,
          cacheControl: CACHE_NONE,
          headers: { Location: `/customers/${encodeURIComponent(result.value.id)}` },
        });
      }),
    )
    .all(methodNotAllowed('GET, HEAD, POST'));

  app
    .route('/customers/:id')
    .get(
      ...operation(ctx, 'getCustomer', (req, res) => {
        const id = pathId(req);
        const customer = store.getCustomer(id);
        if (!customer) throw new ProblemError(404, 'customer_not_found', `No customer with id ${id}.`);
        sendJson(req, res, customer, { cacheControl: CACHE_REUSABLE });
      }),
    )
    .patch(
      ...operation(ctx, 'updateCustomer', (req, res) => {
        const patch = parseBody(CustomerUpdate, req);
        const id = pathId(req);
        const current = store.getCustomer(id);
        if (!current) throw new ProblemError(404, 'customer_not_found', `No customer with id ${id}.`);
        checkIfMatch(req, current);
        const updated = store.updateCustomer(id, patch);
        sendJson(req, res, updated, { cacheControl: CACHE_NONE });
      }),
    )
    .all(methodNotAllowed('GET, HEAD, PATCH'));

  // Products
  app
    .route('/products')
    .get(
      ...operation(ctx, 'listProducts', (req, res) => {
        const q = listQuery(req);
        const page = store.listProducts(q);
        const last = page.items.at(-1);
        const nextCursor = page.hasMore && last ? encodeCursor(last.id) : null;
        sendJson(req, res, { data: page.items, nextCursor }, { cacheControl: CACHE_REUSABLE });
      }),
    )
    .post(
      ...operation(ctx, 'createProduct', (req, res) => {
        const input = parseBody(ProductCreate, req);
        const result = store.createProduct(input);
        if (!result.ok)
          throw new ProblemError(409, 'product_exists', `A product with id ${input.id ?? ''} already exists.`);
        sendJson(req, res, result.value, {
          status: 201,
          cacheControl: CACHE_NONE,
          headers: { Location: `/products/${encodeURIComponent(result.value.id)}` },
        });
      }),
    )
    .all(methodNotAllowed('GET, HEAD, POST'));

  app
    .route('/products/:id')
    .get(
      ...operation(ctx, 'getProduct', (req, res) => {
        const id = pathId(req);
        const product = store.getProduct(id);
        if (!product) throw new ProblemError(404, 'product_not_found', `No product with id ${id}.`);
        sendJson(req, res, product, { cacheControl: CACHE_REUSABLE });
      }),
    )
    .patch(
      ...operation(ctx, 'updateProduct', (req, res) => {
        const patch = parseBody(ProductUpdate, req);
        const id = pathId(req);
        const current = store.getProduct(id);
        if (!current) throw new ProblemError(404, 'product_not_found', `No product with id ${id}.`);
        checkIfMatch(req, current);
        const updated = store.updateProduct(id, patch);
        sendJson(req, res, updated, { cacheControl: CACHE_NONE });
      }),
    )
    .all(methodNotAllowed('GET, HEAD, PATCH'));

  // Shipments
  app
    .route('/shipments')
    .get(
      ...operation(ctx, 'listShipments', (req, res) => {
        const idempotencyKey = queryParam(req, 'idempotencyKey');
        if (idempotencyKey !== undefined && !IdempotencyKey.safeParse(idempotencyKey).success) {
          throw new ProblemError(400, 'validation_failed', 'idempotencyKey must be 1 to 255 characters.', {
            errors: [{ path: 'idempotencyKey', message: 'must be 1 to 255 characters' }],
          });
        }
        sendJson(req, res, { data: store.listShipments({ idempotencyKey }) }, { cacheControl: CACHE_REVALIDATE });
      }),
    )
    .post(
      ...operation(ctx, 'createShipment', (req, res) => {
        const key = idempotencyKeyOf(req);
        const body = bodyOf(req);
        if (body === undefined) throw new ProblemError(400, 'validation_failed', 'A JSON request body is required.');
        const parsed = ShipmentCreate.safeParse(body);
        if (!parsed.success) {
          const addressIssue = parsed.error.issues.some((issue) => issue.path[0] === 'address');
          throw addressIssue
            ? new ProblemError(400, 'invalid_address', 'The shipping address is incomplete or invalid.', {
                errors: issuesOf(parsed.error),
              })
            : new ProblemError(400, 'validation_failed', 'The request body is invalid.', {
                errors: issuesOf(parsed.error),
              });
        }
        const result = store.createShipment(key, parsed.data);
        switch (result.kind) {
          case 'created':
            sendJson(req, res, result.shipment, {
              status: 201,
              cacheControl: CACHE_NONE,
              headers: { Location: `/shipments/${result.shipment.id}` },
            });
            return;
          case 'replayed':
            sendJson(req, res, result.shipment, {
              status: 200,
              cacheControl: CACHE_NONE,
              headers: { 'Idempotent-Replayed': 'true' },
            });
            return;
          case 'key_reused':
            throw new ProblemError(
              422,
              'idempotency_key_reused',
              `Idempotency-Key was already used with a different body (shipment ${result.shipment.id}).`,
            );
          case 'unknown_customer':
            throw new ProblemError(422, 'unknown_customer', `No customer with id ${parsed.data.customerId}.`);
          case 'unknown_product':
            throw new ProblemError(422, 'unknown_product', `No product with id ${parsed.data.productId}.`);
        }
      }),
    )
    .all(methodNotAllowed('GET, HEAD, POST'));

  app
    .route('/shipments/:id')
    .get(
      ...operation(ctx, 'getShipment', (req, res) => {
        const id = pathId(req);
        const shipment = store.getShipment(id);
        if (!shipment) throw new ProblemError(404, 'shipment_not_found', `No shipment with id ${id}.`);
        sendJson(req, res, shipment, { cacheControl: CACHE_REVALIDATE });
      }),
    )
    .all(methodNotAllowed('GET, HEAD'));

  app
    .route('/shipments/:id/cancel')
    .post(
      ...operation(ctx, 'cancelShipment', (req, res) => {
        const body = bodyOf(req);
        if (body !== undefined) {
          const parsed = z.strictObject({}).safeParse(body);
          if (!parsed.success) {
            throw new ProblemError(400, 'validation_failed', 'Cancel takes no body, or {}.', {
              errors: issuesOf(parsed.error),
            });
          }
        }
        const id = pathId(req);
        const result = store.cancelShipment(id);
        if (result.kind === 'not_found')
          throw new ProblemError(404, 'shipment_not_found', `No shipment with id ${id}.`);
        if (result.kind === 'conflict') {
          throw new ProblemError(
            409,
            'shipment_not_cancellable',
            `Shipment ${id} has already shipped; it can no longer be cancelled.`,
          );
        }
        sendJson(req, res, result.shipment, { cacheControl: CACHE_NONE });
      }),
    )
    .all(methodNotAllowed('POST'));
}

function registerControlRoutes(app: express.Express, ctx: Context): void {
  const control = express.Router();
  control.use(jsonBody);

  control
    .route('/faults')
    .get((_req, res) => {
      res.setHeader('Cache-Control', CACHE_NONE);
      res.json({ data: ctx.faults.list() });
    })
    .post((req, res) => {
      ctx.faults.add(parseBody(FaultSpec, req));
      res.status(204).end();
    })
    .delete((_req, res) => {
      ctx.faults.clear();
      res.status(204).end();
    })
    .all(methodNotAllowed('GET, POST, DELETE'));

  // The platform's warehouse hands shipments to the carrier on its own; tests do it here.
  control
    .route('/shipments/:id/ship')
    .post((req, res) => {
      const id = pathId(req);
      const result = ctx.store.shipShipment(id);
      if (result.kind === 'not_found') throw new ProblemError(404, 'shipment_not_found', `No shipment with id ${id}.`);
      if (result.kind === 'conflict')
        throw new ProblemError(409, 'shipment_cancelled', `Shipment ${id} is cancelled; it cannot ship.`);
      res.setHeader('Cache-Control', CACHE_NONE);
      res.json(result.shipment);
    })
    .all(methodNotAllowed('POST'));

  control
    .route('/reset')
    .post((_req, res) => {
      ctx.store.reset();
      ctx.faults.clear();
      ctx.calls.reset();
      res.status(204).end();
    })
    .all(methodNotAllowed('POST'));

  control
    .route('/calls')
    .get((_req, res) => {
      res.setHeader('Cache-Control', CACHE_NONE);
      res.json(ctx.calls.snapshot());
    })
    .delete((_req, res) => {
      ctx.calls.reset();
      res.status(204).end();
    })
    .all(methodNotAllowed('GET, DELETE'));

  app.use('/__control', control);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Body-parser errors carry a `type` and a 4xx `status`. */
function problemFromUnknown(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (!isRecord(error) || typeof error.status !== 'number' || error.status < 400 || error.status >= 500)
    return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return new ProblemError(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new ProblemError(413, 'payload_too_large', 'The request body is larger than 100 kB.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemError(415, 'unsupported_media_type', 'Send the request body as UTF-8 JSON.');
    default:
      return new ProblemError(error.status, 'bad_request', 'The request could not be read.');
  }
}

/** Builds the app without listening; `startPlatformMock` is the usual entry point. */
export function createPlatformApp(options: PlatformAppOptions = {}): PlatformApp {
  const abort = new AbortController();
  const ctx: Context = {
    store: options.store ?? new PlatformStore(),
    faults: new FaultRegistry(),
    calls: new CallCounter(),
    latencyMs: Math.max(0, options.latencyMs ?? 0),
    signal: abort.signal,
  };

  const app = express();
  app.disable('x-powered-by');
  // ETags are computed by sendJson from the exact body, so Express must not add its own.
  app.set('etag', false);

  // A webhook receiver for the service's webhook tests (not part of the platform's API).
  const webhooks = webhookReceiver(abort.signal);
  app.use('/webhook-receiver', webhooks.receiver);
  app.use('/__control/webhook-receiver', webhooks.control);
  registerControlRoutes(app, ctx);
  registerPlatformRoutes(app, ctx);

  app.use((req, _res, next) => {
    next(new ProblemError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem = problemFromUnknown(error);
    if (problem) {
      sendProblem(res, problem);
      return;
    }
    console.error('platform-mock: unexpected error', error);
    sendProblem(res, new ProblemError(500, 'internal_error', 'An unexpected error occurred.'));
  });

  return {
    app,
    store: ctx.store,
    faults: ctx.faults,
    calls: ctx.calls,
    shutdown: () => abort.abort(),
  };
}

export interface StartPlatformMockOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  latencyMs?: number;
  /** Keep the store in this JSON file across restarts (see PlatformStore); unset: memory only. */
  dataFile?: string;
}

export interface RunningPlatformMock {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:4010`. */
  url: string;
  port: number;
  /** The live store, for in-process tests that want to look inside. */
  store: PlatformStore;
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>;
}

/** Starts platform-mock on `host:port` and resolves once it is listening. */
export async function startPlatformMock(options: StartPlatformMockOptions = {}): Promise<RunningPlatformMock> {
  const host = options.host ?? '127.0.0.1';
  const platform = createPlatformApp({
    latencyMs: options.latencyMs,
    ...(options.dataFile !== undefined && { store: new PlatformStore({ file: options.dataFile }) }),
  });
  const server = createServer(platform.app);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    store: platform.store,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        platform.shutdown();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
