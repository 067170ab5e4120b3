/**
 * The platform's resources as its OpenAPI document (platform-mock/openapi.json) describes them.
 * Someone else's API: every response is validated here, at the boundary, and a malformed
 * answer becomes a `PlatformError` of kind `invalid_response` rather than a crash deeper in.
 */
import { z } from 'zod';
import { Address } from '../contracts/common.js';

export const PlatformCustomer = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    email: z.string(),
    address: Address,
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' });
export type PlatformCustomer = z.infer<typeof PlatformCustomer>;

export const PlatformProduct = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    description: z.string(),
    price: z.object({ amount: z.number().int().nonnegative(), currency: z.string().regex(/^[A-Z]{3}$/) }),
    active: z.boolean(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Product' });
export type PlatformProduct = z.infer<typeof PlatformProduct>;

export const PlatformShipment = z.object({
  id: z.string().min(1),
  status: z.string(),
  customerId: z.string(),
  productId: z.string(),
  quantity: z.number().int(),
  address: Address,
  createdAt: z.string(),
});
export type PlatformShipment = z.infer<typeof PlatformShipment>;

/**
 * A shipment as the shipment look-up and cancel return it: the documented shape plus the
 * status timestamps (`cancelledAt`, `shippedAt`), which reconciliation reads to tell a
 * shipment it cancelled itself (on a retried batch) from one cancelled long ago.
 */
export const PlatformShipmentRecord = PlatformShipment.extend({
  cancelledAt: z.string().nullable().optional(),
  shippedAt: z.string().nullable().optional(),
});
export type PlatformShipmentRecord = z.infer<typeof PlatformShipmentRecord>;

export const PlatformPage = <T extends z.ZodType>(
  item: T,
): z.ZodObject<{ data: z.ZodArray<T>; nextCursor: z.ZodOptional<z.ZodNullable<z.ZodString>> }> =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable().optional() });

export interface PlatformList<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}
