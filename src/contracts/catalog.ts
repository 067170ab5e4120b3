/** Read-through views of the platform's customers and products, for the internal app (support). */
import { z } from 'zod';
import { Address, Currency, Cursor, ExternalId, NonNegativeAmount, Timestamp, listOf } from './common.js';

export const CustomerView = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    address: Address,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Customer' });
export type CustomerView = z.infer<typeof CustomerView>;

export const ProductView = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    price: z.object({ amount: NonNegativeAmount, currency: Currency }),
    active: z.boolean(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'Product' });
export type ProductView = z.infer<typeof ProductView>;

export const CustomerListQuery = z.strictObject({
  query: z.string().max(200).optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type CustomerListQuery = z.infer<typeof CustomerListQuery>;

export const ProductListQuery = z.strictObject({
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ProductListQuery = z.infer<typeof ProductListQuery>;

export const CustomerList = listOf(CustomerView, 'CustomerList');
export type CustomerList = z.infer<typeof CustomerList>;
export const ProductList = listOf(ProductView, 'ProductList');
export type ProductList = z.infer<typeof ProductList>;

export const ProductIdParam = z.object({
  productId: ExternalId.meta({ description: "The platform's product id", example: 'prod_mouse' }),
});
