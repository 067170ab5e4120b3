/**
 * Read-through views of the platform's customers and products for the internal app (support),
 * served through the platform cache: at most PLATFORM_CACHE_TTL_MS old (bounded by the
 * platform's max-age), or during an outage up to PLATFORM_CACHE_STALE_IF_ERROR_MS old with
 * `X-Cache: stale_if_error`. Nothing here feeds money: the saga reads the platform itself.
 */
import { Router, type Request, type Response } from 'express';
import {
  CustomerIdParam, CustomerListQuery, ProductIdParam, ProductListQuery,
  type CustomerList, type CustomerView, type ProductList, type ProductView,
} from '../../contracts/index.js';
import { DomainError } from '../../domain/errors.js';
import { PlatformError, type PlatformClient } from '../../platform/client.js';
import type { PlatformCustomer, PlatformProduct } from '../../platform/types.js';
import { requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseParams, parseQuery } from '../validate.js';

function toCustomer(c: PlatformCustomer): CustomerView {
  return { id: c.id, name: c.name, email: c.email, address: { ...c.address, line2: c.address.line2 ?? null }, updatedAt: c.updatedAt };
}

function toProduct(p: PlatformProduct): ProductView {
  return { id: p.id, name: p.name, description: p.description, price: p.price, active: p.active, updatedAt: p.updatedAt };
}

/** Tells the internal app how old a view is: `X-Cache` (hit, miss, revalidated, stale_if_error) and `Age`. */
function cacheHeaders(res: Response, client: PlatformClient): void {
  const info = client.lastRead();
  if (!info) return;
  res.set('X-Cache', info.cache);
  res.set('Age', String(info.ageSeconds));
  res.set('Cache-Control', 'private, no-store');
}

function platformProblem(error: unknown, notFound: 'customer_not_found' | 'product_not_found' | null, id = ''): unknown {
  if (!(error instanceof PlatformError)) return error;
  if (error.kind === 'not_found' && notFound) return new DomainError(notFound, `The platform knows no ${notFound === 'customer_not_found' ? 'customer' : 'product'} "${id}".`);
  // A list query the platform refuses (a cursor it did not issue) is the caller's mistake, not an outage.
  if (error.kind === 'rejected' && !notFound) {
    return new DomainError('cursor_invalid', 'The platform refused the cursor: pass the nextCursor of a previous page unchanged.');
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
    throw new DomainError('cursor_invalid', 'The cursor is not one this API issued: pass the nextCursor of a previous page unchanged.');
  }
  return decoded;
}

export function catalogRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/customers', requireRole('support'), async (req: Request, res: Response<CustomerList>) => {
    const q = parseQuery(req, CustomerListQuery);
    const client = deps.platform(requestIdOf(req));
    const page = await client.listCustomers({ query: q.query, cursor: platformCursor(q.cursor), limit: q.limit })
      .catch((error: unknown) => { throw platformProblem(error, null); });
    cacheHeaders(res, client);
    res.json({ data: page.data.map(toCustomer), nextCursor: viewCursor(page.nextCursor) });
  });

  router.get('/customers/:customerId', requireRole('support'), async (req: Request, res: Response<CustomerView>) => {
    const { customerId } = parseParams(req, CustomerIdParam);
    const client = deps.platform(requestIdOf(req));
    const customer = await client.getCustomer(customerId)
      .catch((error: unknown) => { throw platformProblem(error, 'customer_not_found', customerId); });
    cacheHeaders(res, client);
    res.json(toCustomer(customer));
  });

  router.get('/products', requireRole('support'), async (req: Request, res: Response<ProductList>) => {
    const q = parseQuery(req, ProductListQuery);
    const client = deps.platform(requestIdOf(req));
    const page = await client.listProducts({ cursor: platformCursor(q.cursor), limit: q.limit })
      .catch((error: unknown) => { throw platformProblem(error, null); });
    cacheHeaders(res, client);
    res.json({ data: page.data.map(toProduct), nextCursor: viewCursor(page.nextCursor) });
  });

  router.get('/products/:productId', requireRole('support'), async (req: Request, res: Response<ProductView>) => {
    const { productId } = parseParams(req, ProductIdParam);
    const client = deps.platform(requestIdOf(req));
    const product = await client.getProduct(productId)
      .catch((error: unknown) => { throw platformProblem(error, 'product_not_found', productId); });
    cacheHeaders(res, client);
    res.json(toProduct(product));
  });

  return router;
}
