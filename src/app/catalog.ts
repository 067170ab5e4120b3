/**
 * Read-through views of the platform's customers and products for the internal app (support),
 * served through the platform cache: at most PLATFORM_CACHE_TTL_MS old (bounded by the
 * platform's max-age), or during an outage up to PLATFORM_CACHE_STALE_IF_ERROR_MS old.
 * Each view says how old it is. Nothing here feeds money: the saga reads the platform itself.
 */
import type { CustomerList, CustomerView, ProductList, ProductView } from '../contracts/index.js';
import { DomainError } from '../domain/errors.js';
import { PlatformError, type PlatformClient } from '../platform/client.js';
import type { PlatformCustomer, PlatformProduct } from '../platform/types.js';
import type { AppDeps } from './deps.js';

/** A view with where it came from: the cache (and how old it is) or the platform. */
export interface CatalogView<T> {
  readonly view: T;
  /** `hit`, `miss`, `revalidated` or `stale_if_error`, and the age in seconds; null when unknown. */
  readonly cache: { readonly cache: string; readonly ageSeconds: number } | null;
}

function toCustomer(c: PlatformCustomer): CustomerView {
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    address: { ...c.address, line2: c.address.line2 ?? null },
    updatedAt: c.updatedAt,
  };
}

function toProduct(p: PlatformProduct): ProductView {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    price: p.price,
    active: p.active,
    updatedAt: p.updatedAt,
  };
}

function platformProblem(
  error: unknown,
  notFound: 'customer_not_found' | 'product_not_found' | null,
  id = '',
): unknown {
  if (!(error instanceof PlatformError)) return error;
  if (error.kind === 'not_found' && notFound)
    return new DomainError(
      notFound,
      `The platform knows no ${notFound === 'customer_not_found' ? 'customer' : 'product'} "${id}".`,
    );
  // A list query the platform refuses (a cursor it did not issue) is the caller's mistake, not an outage.
  if (error.kind === 'rejected' && !notFound) {
    return new DomainError(
      'cursor_invalid',
      'The platform refused the cursor: pass the nextCursor of a previous page unchanged.',
    );
  }
  return new DomainError('platform_unavailable', `The platform could not answer: ${error.message}`);
}

/**
 * The platform's cursors are its own opaque strings; ours are base64url (the `Cursor` format of
 * the OpenAPI document), so the view wraps them and unwraps what comes back.
 */
function viewCursor(platform: string | null): string | null {
  return platform === null ? null : Buffer.from(platform, 'utf8').toString('base64url');
}

function platformCursor(view: string | undefined): string | undefined {
  if (view === undefined) return undefined;
  const decoded = Buffer.from(view, 'base64url').toString('utf8');
  if (decoded.length === 0 || Buffer.from(decoded, 'utf8').toString('base64url') !== view) {
    throw new DomainError(
      'cursor_invalid',
      'The cursor is not one this API issued: pass the nextCursor of a previous page unchanged.',
    );
  }
  return decoded;
}

async function read<T, V>(
  deps: AppDeps,
  requestId: string,
  call: (client: PlatformClient) => Promise<T>,
  map: (value: T) => V,
  notFound: 'customer_not_found' | 'product_not_found' | null,
  id = '',
): Promise<CatalogView<V>> {
  const client = deps.platform(requestId);
  const value = await call(client).catch((error: unknown) => {
    throw platformProblem(error, notFound, id);
  });
  const info = client.lastRead();
  return { view: map(value), cache: info ? { cache: info.cache, ageSeconds: info.ageSeconds } : null };
}

export function customers(
  deps: AppDeps,
  requestId: string,
  q: { query?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<CatalogView<CustomerList>> {
  return read(
    deps,
    requestId,
    (c) => c.listCustomers({ query: q.query, cursor: platformCursor(q.cursor), limit: q.limit }),
    (page) => ({ data: page.data.map(toCustomer), nextCursor: viewCursor(page.nextCursor) }),
    null,
  );
}

export function customer(deps: AppDeps, requestId: string, customerId: string): Promise<CatalogView<CustomerView>> {
  return read(deps, requestId, (c) => c.getCustomer(customerId), toCustomer, 'customer_not_found', customerId);
}

export function products(
  deps: AppDeps,
  requestId: string,
  q: { cursor?: string | undefined; limit: number },
): Promise<CatalogView<ProductList>> {
  return read(
    deps,
    requestId,
    (c) => c.listProducts({ cursor: platformCursor(q.cursor), limit: q.limit }),
    (page) => ({ data: page.data.map(toProduct), nextCursor: viewCursor(page.nextCursor) }),
    null,
  );
}

export function product(deps: AppDeps, requestId: string, productId: string): Promise<CatalogView<ProductView>> {
  return read(deps, requestId, (c) => c.getProduct(productId), toProduct, 'product_not_found', productId);
}
