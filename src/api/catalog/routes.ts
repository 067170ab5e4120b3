/**
 * Read-through views of the platform's customers and products for the internal app (support):
 * parse, read (`src/app/catalog.ts`), answer with `X-Cache` (hit, miss, revalidated,
 * stale_if_error) and `Age` saying how old the view is.
 */
import { Router, type Request, type Response } from 'express';
import {
  CustomerIdParam,
  CustomerListQuery,
  ProductIdParam,
  ProductListQuery,
  type CustomerList,
  type CustomerView,
  type ProductList,
  type ProductView,
} from '../../contracts/index.js';
import { customer, customers, product, products, type CatalogView } from '../../app/catalog.js';
import { requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseParams, parseQuery } from '../validate.js';

function sendView<T>(res: Response<T>, read: CatalogView<T>): void {
  if (read.cache) {
    res.set('X-Cache', read.cache.cache);
    res.set('Age', String(read.cache.ageSeconds));
    res.set('Cache-Control', 'private, no-store');
  }
  res.json(read.view);
}

export function catalogRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/customers', requireRole('support'), async (req: Request, res: Response<CustomerList>) => {
    sendView(res, await customers(deps, requestIdOf(req), parseQuery(req, CustomerListQuery)));
  });

  router.get('/customers/:customerId', requireRole('support'), async (req: Request, res: Response<CustomerView>) => {
    sendView(res, await customer(deps, requestIdOf(req), parseParams(req, CustomerIdParam).customerId));
  });

  router.get('/products', requireRole('support'), async (req: Request, res: Response<ProductList>) => {
    sendView(res, await products(deps, requestIdOf(req), parseQuery(req, ProductListQuery)));
  });

  router.get('/products/:productId', requireRole('support'), async (req: Request, res: Response<ProductView>) => {
    sendView(res, await product(deps, requestIdOf(req), parseParams(req, ProductIdParam).productId));
  });

  return router;
}
