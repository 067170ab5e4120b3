/** OpenAPI registration of the read-through views of the platform. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  CustomerIdParam,
  CustomerList,
  CustomerListQuery,
  CustomerView,
  ProductIdParam,
  ProductList,
  ProductListQuery,
  ProductView,
} from '../../contracts/index.js';
import { problems } from '../openapi-parts.js';

export function registerCatalogPaths(registry: OpenAPIRegistry): void {
  const note =
    "Role: support. The platform's data as this service sees it, for the internal app; money never depends on it.";
  registry.registerPath({
    method: 'get',
    path: '/v1/customers',
    tags: ['Platform views'],
    summary: 'Search customers',
    description: note,
    request: { query: CustomerListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: CustomerList } } },
      ...problems('platform_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{customerId}',
    tags: ['Platform views'],
    summary: 'A customer',
    description: note,
    request: { params: CustomerIdParam },
    responses: {
      200: { description: 'The customer', content: { 'application/json': { schema: CustomerView } } },
      ...problems('customer_not_found', 'platform_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/products',
    tags: ['Platform views'],
    summary: 'List products',
    description: note,
    request: { query: ProductListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: ProductList } } },
      ...problems('platform_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/products/{productId}',
    tags: ['Platform views'],
    summary: 'A product',
    description: note,
    request: { params: ProductIdParam },
    responses: {
      200: { description: 'The product', content: { 'application/json': { schema: ProductView } } },
      ...problems('product_not_found', 'platform_unavailable'),
    },
  });
}
