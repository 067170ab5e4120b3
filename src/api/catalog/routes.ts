/**
 * Read-through views of the platform's customers and products for the internal app (support).
 * Nothing here feeds money: the saga reads the platform itself, fresh.
 */
import { Router, type Request, type Response } from 'express';
import {
  CustomerIdParam, CustomerListQuery, ProductIdParam, ProductListQuery,
  type CustomerList, type CustomerView, type ProductList, type ProductView,
} from '../../contracts/index.js';
import { DomainError } from '../../domain/errors.js';
import { PlatformError } from '../../platform/client.js';
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

function platformProblem(error: unknown, notFound: 'customer_not_found' | 'product_not_found' | null, id = ''): unknown {
  if (!(error instanceof PlatformError)) return error;
  if (error.kind === 'not_found' && notFound) return new DomainError(notFound, `The platform knows no ${notFound === 'customer_not_found' ? 'customer' : 'product'} "${id}".`);
  return new DomainError('platform_unavailable', `The platform could not answer: ${error.message}`);
}

export function catalogRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/customers', requireRole('support'), async (req: Request, res: Response<CustomerList>) => {
    const q = parseQuery(req, CustomerListQuery);
    const page = await deps.platform(requestIdOf(req)).listCustomers({ query: q.query, cursor: q.cursor, limit: q.limit })
      .catch((error: unknown) => { throw platformProblem(error, null); });
    res.json({ data: page.data.map(toCustomer), nextCursor: page.nextCursor });
  });

  router.get('/customers/:customerId', requireRole('support'), async (req: Request, res: Response<CustomerView>) => {
    const { customerId } = parseParams(req, CustomerIdParam);
    const customer = await deps.platform(requestIdOf(req)).getCustomer(customerId)
      .catch((error: unknown) => { throw platformProblem(error, 'customer_not_found', customerId); });
    res.json(toCustomer(customer));
  });

  router.get('/products', requireRole('support'), async (req: Request, res: Response<ProductList>) => {
    const q = parseQuery(req, ProductListQuery);
    const page = await deps.platform(requestIdOf(req)).listProducts({ cursor: q.cursor, limit: q.limit })
      .catch((error: unknown) => { throw platformProblem(error, null); });
    res.json({ data: page.data.map(toProduct), nextCursor: page.nextCursor });
  });

  router.get('/products/:productId', requireRole('support'), async (req: Request, res: Response<ProductView>) => {
    const { productId } = parseParams(req, ProductIdParam);
    const product = await deps.platform(requestIdOf(req)).getProduct(productId)
      .catch((error: unknown) => { throw platformProblem(error, 'product_not_found', productId); });
    res.json(toProduct(product));
  });

  return router;
}
