/**
 * Typed HTTP client of the external platform (customers, products, shipments).
 * Failures are classified once, here, so callers branch on `kind`, never on messages:
 * - `not_found`: 404 — the resource does not exist;
 * - `rejected`: any other 4xx — the platform refused the request; retrying will not help;
 * - `unavailable`: 5xx, 429, timeouts, connection errors — transient, worth retrying;
 * - `invalid_response`: a 2xx whose body does not match the platform's documented shape.
 */
import type { z } from 'zod';
import type { Address } from '../contracts/common.js';
import type { CacheResult, PlatformCache } from './cache.js';
import {
  PlatformCustomer,
  PlatformPage,
  PlatformProduct,
  PlatformShipment,
  PlatformShipmentRecord,
  type PlatformList,
} from './types.js';

export type PlatformErrorKind = 'not_found' | 'rejected' | 'unavailable' | 'invalid_response';

export class PlatformError extends Error {
  readonly kind: PlatformErrorKind;
  readonly status: number | null;
  /** The platform's problem `code`, when it sent one. */
  readonly platformCode: string | null;
  readonly operation: string;

  constructor(
    operation: string,
    kind: PlatformErrorKind,
    message: string,
    status: number | null = null,
    platformCode: string | null = null,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'PlatformError';
    this.operation = operation;
    this.kind = kind;
    this.status = status;
    this.platformCode = platformCode;
  }
}

export interface CreateShipmentInput {
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly address: Address;
}

export interface PlatformClientOptions {
  readonly baseUrl: string;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Propagated as `X-Request-Id` for tracing across services. */
  readonly requestId?: string;
  /** Shared by every client of the process; without it every read goes to the platform. */
  readonly cache?: PlatformCache;
}

/**
 * `fresh`: the caller moves money on this data — ask the platform every time (conditionally
 * when cached), never serve a cached or stale copy. Default: a view, cache allowed.
 */
export interface ReadOptions {
  readonly fresh?: boolean;
}

/** What the last cached read did, for `X-Cache` headers on views. */
export interface ReadInfo {
  readonly cache: CacheResult;
  /** Age of the served copy in seconds (0 when the platform just answered). */
  readonly ageSeconds: number;
}

export interface PlatformClient {
  getCustomer(id: string, options?: ReadOptions): Promise<PlatformCustomer>;
  listCustomers(params: {
    query?: string | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  }): Promise<PlatformList<PlatformCustomer>>;
  getProduct(id: string, options?: ReadOptions): Promise<PlatformProduct>;
  listProducts(params: {
    cursor?: string | undefined;
    limit?: number | undefined;
  }): Promise<PlatformList<PlatformProduct>>;
  /** How the last cached read of this client was answered. */
  lastRead(): ReadInfo | null;
  createShipment(idempotencyKey: string, input: CreateShipmentInput): Promise<PlatformShipment>;
  /** `GET /shipments?idempotencyKey=`: the shipment created with that key (any status), or null. Never cached. */
  findShipmentByIdempotencyKey(idempotencyKey: string): Promise<PlatformShipmentRecord | null>;
  getShipment(id: string): Promise<PlatformShipmentRecord>;
  /**
   * `POST /shipments/{id}/cancel`, idempotent: cancelling a cancelled shipment returns it
   * unchanged. A shipment that has shipped is refused with 409 (`PlatformError` of kind
   * `rejected`, `platformCode` `shipment_not_cancellable`).
   */
  cancelShipment(id: string): Promise<PlatformShipmentRecord>;
}

interface RawResponse {
  readonly status: number;
  readonly body: unknown;
  readonly etag: string | null;
  readonly cacheControl: string | null;
}

function readProblemCode(body: unknown): string | null {
  if (body && typeof body === 'object' && 'code' in body && typeof body.code === 'string') return body.code;
  return null;
}

function problemDetail(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { detail?: unknown; title?: unknown };
    if (typeof b.detail === 'string') return b.detail;
    if (typeof b.title === 'string') return b.title;
  }
  return 'no detail';
}

export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  const options_ = options;
  const base = options.baseUrl.replace(/\/+$/, '');

  async function send(
    operation: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : `connection failed (${error instanceof Error ? error.message : String(error)})`;
      throw new PlatformError(operation, 'unavailable', reason);
    }
    let parsed: unknown = null;
    const text = await response.text().catch(() => '');
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        if (response.ok)
          throw new PlatformError(operation, 'invalid_response', 'response body is not JSON', response.status);
      }
    }
    const etag = response.headers.get('etag');
    const cacheControl = response.headers.get('cache-control');
    if (response.status === 304) return { status: 304, body: null, etag, cacheControl };
    if (response.ok) return { status: response.status, body: parsed, etag, cacheControl };
    const code = readProblemCode(parsed);
    const detail = problemDetail(parsed);
    if (response.status === 404) throw new PlatformError(operation, 'not_found', detail, 404, code);
    if (response.status === 429 || response.status >= 500)
      throw new PlatformError(operation, 'unavailable', `HTTP ${response.status}: ${detail}`, response.status, code);
    throw new PlatformError(operation, 'rejected', `HTTP ${response.status}: ${detail}`, response.status, code);
  }

  function parse<T extends z.ZodType>(operation: string, schema: T, raw: RawResponse): z.infer<T> {
    const result = schema.safeParse(raw.body);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new PlatformError(
        operation,
        'invalid_response',
        `unexpected response shape at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
        raw.status,
      );
    }
    return result.data;
  }

  let last: ReadInfo | null = null;

  /**
   * A GET through the cache. Views: a fresh entry is a hit; a stale one is revalidated with
   * If-None-Match; during an outage an entry within stale-if-error is served. Money (`fresh`):
   * always revalidated or fetched, never served without the platform's answer.
   */
  async function cachedGet<T extends z.ZodType>(
    operation: string,
    path: string,
    schema: T,
    options: ReadOptions = {},
  ): Promise<z.infer<T>> {
    const cache = options_.cache;
    if (!cache) return parse(operation, schema, await send(operation, 'GET', path));
    const key = path;
    const entry = cache.get(key);
    if (entry && !options.fresh && cache.isFresh(entry)) {
      cache.record('hit', operation);
      last = { cache: 'hit', ageSeconds: Math.floor((cache.now() - entry.storedAt) / 1000) };
      return parse(operation, schema, { status: 200, body: entry.body, etag: entry.etag, cacheControl: null });
    }
    let raw: RawResponse;
    try {
      raw = await send(operation, 'GET', path, undefined, entry?.etag ? { 'if-none-match': entry.etag } : {});
    } catch (error) {
      if (
        entry &&
        !options.fresh &&
        error instanceof PlatformError &&
        error.kind === 'unavailable' &&
        cache.usableIfError(entry)
      ) {
        cache.record('stale_if_error', operation);
        last = { cache: 'stale_if_error', ageSeconds: Math.floor((cache.now() - entry.storedAt) / 1000) };
        return parse(operation, schema, { status: 200, body: entry.body, etag: entry.etag, cacheControl: null });
      }
      throw error;
    }
    if (raw.status === 304 && entry) {
      cache.refresh(key, entry, raw.cacheControl);
      cache.record('revalidated', operation);
      last = { cache: 'revalidated', ageSeconds: 0 };
      return parse(operation, schema, { ...raw, status: 200, body: entry.body });
    }
    const value = parse(operation, schema, raw);
    cache.store(key, raw.etag, raw.body, raw.cacheControl);
    cache.record('miss', operation);
    last = { cache: 'miss', ageSeconds: 0 };
    return value;
  }

  const enc = encodeURIComponent;
  const qs = (params: Record<string, string | number | undefined>): string => {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
    const s = search.toString();
    return s ? `?${s}` : '';
  };

  return {
    lastRead: () => last,
    async getCustomer(id, readOptions) {
      return cachedGet('getCustomer', `/customers/${enc(id)}`, PlatformCustomer, readOptions);
    },
    async listCustomers({ query, cursor, limit }) {
      const page = await cachedGet(
        'listCustomers',
        `/customers${qs({ query, cursor, limit })}`,
        PlatformPage(PlatformCustomer),
      );
      return { data: page.data, nextCursor: page.nextCursor ?? null };
    },
    async getProduct(id, readOptions) {
      return cachedGet('getProduct', `/products/${enc(id)}`, PlatformProduct, readOptions);
    },
    async listProducts({ cursor, limit }) {
      const page = await cachedGet('listProducts', `/products${qs({ cursor, limit })}`, PlatformPage(PlatformProduct));
      return { data: page.data, nextCursor: page.nextCursor ?? null };
    },
    async createShipment(idempotencyKey, input) {
      return parse(
        'createShipment',
        PlatformShipment,
        await send('createShipment', 'POST', '/shipments', input, { 'idempotency-key': idempotencyKey }),
      );
    },
    async findShipmentByIdempotencyKey(idempotencyKey) {
      const page = parse(
        'findShipment',
        PlatformPage(PlatformShipmentRecord),
        await send('findShipment', 'GET', `/shipments${qs({ idempotencyKey })}`),
      );
      return page.data[0] ?? null;
    },
    async getShipment(id) {
      return parse('getShipment', PlatformShipmentRecord, await send('getShipment', 'GET', `/shipments/${enc(id)}`));
    },
    async cancelShipment(id) {
      return parse(
        'cancelShipment',
        PlatformShipmentRecord,
        await send('cancelShipment', 'POST', `/shipments/${enc(id)}/cancel`),
      );
    },
  };
}
