/**
 * The platform's wire shapes: zod schemas that validate requests and, through
 * `z.toJSONSchema`, become the components of `platform-mock/openapi.json`.
 * Each schema travels with its inferred type under the same name.
 */
import { z } from 'zod';

const currencies = new Set(Intl.supportedValuesOf('currency'));

/** A string with at least one non-space character. */
const nonBlank = (max: number): z.ZodString =>
  z.string().min(1, { error: 'must not be empty', abort: true }).max(max).regex(/\S/, 'must not be blank');

export const Timestamp = z.iso
  .datetime()
  .meta({ description: 'RFC 3339 UTC timestamp with milliseconds.', examples: ['2026-01-01T00:00:00.000Z'] });

export const CountryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case, such as "US"')
  .meta({ description: 'ISO 3166-1 alpha-2 country code, upper case.', examples: ['US'] });

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case, such as "USD"')
  .refine((code) => currencies.has(code), 'must be an ISO 4217 currency code')
  .meta({ description: 'ISO 4217 currency code, upper case.', examples: ['USD'] });

export const CustomerId = z
  .string()
  .regex(/^cus_[A-Za-z0-9_]{1,64}$/, 'must look like "cus_…"')
  .meta({ examples: ['cus_ada'] });
export const ProductId = z
  .string()
  .regex(/^prod_[A-Za-z0-9_]{1,64}$/, 'must look like "prod_…"')
  .meta({ examples: ['prod_keyboard'] });

export const Address = z
  .strictObject({
    line1: nonBlank(200),
    line2: z.string().max(200).optional(),
    city: nonBlank(100),
    postalCode: z.string().max(20),
    country: CountryCode,
  })
  .meta({
    description:
      "A customer's postal address as recorded. `postalCode` may be empty on an incomplete record; " +
      'POST /shipments refuses such an address (see ShippingAddress).',
  });
export type Address = z.infer<typeof Address>;

export const ShippingAddress = z
  .strictObject({
    line1: nonBlank(200),
    line2: z.string().max(200).optional(),
    city: nonBlank(100),
    postalCode: nonBlank(20),
    country: CountryCode,
  })
  .meta({ description: 'A deliverable address: line1, city, postalCode and country are required and not blank.' });
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const Customer = z
  .strictObject({
    id: CustomerId,
    name: nonBlank(200),
    email: z.email().max(254),
    address: Address,
    updatedAt: Timestamp,
  })
  .meta({ description: 'A customer of the shop.' });
export type Customer = z.infer<typeof Customer>;

export const CustomerCreate = z
  .strictObject({
    id: CustomerId.optional().meta({ description: 'Optional; generated as `cus_` + random when omitted.' }),
    name: Customer.shape.name,
    email: Customer.shape.email,
    address: Address,
  })
  .meta({ description: 'Creates a customer. Unknown fields are rejected.' });
export type CustomerCreate = z.infer<typeof CustomerCreate>;

export const CustomerUpdate = z
  .strictObject({
    name: Customer.shape.name.optional(),
    email: Customer.shape.email.optional(),
    address: Address.optional().meta({ description: 'Replaces the whole address.' }),
  })
  .refine((v) => Object.keys(v).length > 0, 'at least one field is required')
  .meta({
    description: 'Partial update; every given field replaces the stored one and `updatedAt` advances.',
    minProperties: 1,
  });
export type CustomerUpdate = z.infer<typeof CustomerUpdate>;

export const Price = z
  .strictObject({
    amount: z
      .int()
      .min(1)
      .meta({ description: 'Integer minor units (cents); never a float.', examples: [8999] }),
    currency: CurrencyCode,
  })
  .meta({ description: 'Unit price in integer minor units of `currency`.' });
export type Price = z.infer<typeof Price>;

export const Product = z
  .strictObject({
    id: ProductId,
    name: nonBlank(200),
    description: z.string().max(2000),
    price: Price,
    active: z.boolean().meta({ description: 'Inactive products are discontinued and must not be sold.' }),
    updatedAt: Timestamp,
  })
  .meta({ description: 'A product and its current price.' });
export type Product = z.infer<typeof Product>;

export const ProductCreate = z
  .strictObject({
    id: ProductId.optional().meta({ description: 'Optional; generated as `prod_` + random when omitted.' }),
    name: Product.shape.name,
    description: Product.shape.description.optional().meta({ description: 'Defaults to the empty string.' }),
    price: Price,
    active: z.boolean().optional().meta({ description: 'Defaults to true.' }),
  })
  .meta({ description: 'Creates a product. Unknown fields are rejected.' });
export type ProductCreate = z.infer<typeof ProductCreate>;

export const ProductUpdate = z
  .strictObject({
    name: Product.shape.name.optional(),
    description: Product.shape.description.optional(),
    price: Price.optional(),
    active: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'at least one field is required')
  .meta({
    description: 'Partial update; every given field replaces the stored one and `updatedAt` advances.',
    minProperties: 1,
  });
export type ProductUpdate = z.infer<typeof ProductUpdate>;

export const IdempotencyKey = z.string().min(1).max(255);

export const ShipmentCreate = z
  .strictObject({
    customerId: z.string().min(1).max(100),
    productId: z.string().min(1).max(100),
    quantity: z.int().min(1).max(10_000),
    address: ShippingAddress,
  })
  .meta({ description: 'Ships `quantity` units of a product to an address. Unknown fields are rejected.' });
export type ShipmentCreate = z.infer<typeof ShipmentCreate>;

export const ShipmentStatus = z
  .enum(['created', 'shipped', 'cancelled'])
  .meta({ description: '`created` → `shipped` (handed to the carrier; can no longer be cancelled) or `cancelled`.' });
export type ShipmentStatus = z.infer<typeof ShipmentStatus>;

export const Shipment = z
  .strictObject({
    id: z.string().meta({ examples: ['shp_3f9a1c0d2b7e4a65'] }),
    status: ShipmentStatus,
    customerId: z.string(),
    productId: z.string(),
    quantity: z.int().min(1),
    address: ShippingAddress,
    idempotencyKey: IdempotencyKey.meta({ description: 'The `Idempotency-Key` the shipment was created with.' }),
    createdAt: Timestamp,
    shippedAt: Timestamp.optional().meta({ description: 'Present once the shipment has shipped.' }),
    cancelledAt: Timestamp.optional().meta({ description: 'Present once the shipment is cancelled.' }),
  })
  .meta({ description: 'A shipment. Created once per idempotency key.' });
export type Shipment = z.infer<typeof Shipment>;

export const CustomerList = z.strictObject({ data: z.array(Customer), nextCursor: z.string().nullable() });
export const ProductList = z.strictObject({ data: z.array(Product), nextCursor: z.string().nullable() });
export const ShipmentList = z.strictObject({ data: z.array(Shipment) });

export const Problem = z
  .object({
    type: z.string().meta({ description: 'URI identifying the problem type.' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable snake_case code that clients branch on.' }),
    errors: z
      .array(z.strictObject({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Validation issues, on 400 `validation_failed` and `invalid_address`.' }),
  })
  .meta({ description: 'RFC 9457 problem details, served as `application/problem+json`.' });
export type Problem = z.infer<typeof Problem>;

export const Health = z.strictObject({ status: z.literal('ok') });

/** Every operation the control endpoints count and can inject faults into. */
export const OPERATIONS = [
  'listCustomers',
  'getCustomer',
  'createCustomer',
  'updateCustomer',
  'listProducts',
  'getProduct',
  'createProduct',
  'updateProduct',
  'createShipment',
  'getShipment',
  'listShipments',
  'cancelShipment',
] as const;
export const Operation = z.enum(OPERATIONS);
export type Operation = z.infer<typeof Operation>;

export const FaultMode = z.enum(['error', 'timeout', 'reject']);
export type FaultMode = z.infer<typeof FaultMode>;

/** Body of `POST /__control/faults` (test-only, not in the public document). */
export const FaultSpec = z.strictObject({
  operation: Operation,
  mode: FaultMode,
  status: z.int().min(400).max(599).optional(),
  times: z
    .int()
    .min(-1)
    .max(1_000_000)
    .refine((n) => n !== 0, 'times must be a positive count, or -1 for "until cleared"')
    .optional(),
  delayMs: z.int().min(0).max(600_000).optional(),
});
export type FaultSpec = z.infer<typeof FaultSpec>;
