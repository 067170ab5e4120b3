/**
 * Shapes shared by every resource: problems, money, pagination, ids. Zod schemas and their
 * inferred types travel together; `.meta({ id })` names them in the OpenAPI document.
 * No I/O here: the internal app imports these too.
 */
import { z } from 'zod';

export const MAX_AMOUNT = 1_000_000_000_00;

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"')
  .meta({ description: 'ISO 4217 currency code', example: 'USD' });
export type Currency = z.infer<typeof Currency>;

/** A positive amount in minor units (cents). */
export const Amount = z
  .number()
  .int()
  .positive()
  .max(MAX_AMOUNT)
  .meta({ description: 'Positive integer amount in minor units (cents)', example: 2500 });

/** A signed amount in minor units: debits are negative. */
export const SignedAmount = z
  .number()
  .int()
  .meta({ description: 'Signed integer amount in minor units; debits are negative', example: -2500 });

export const NonNegativeAmount = z
  .number()
  .int()
  .nonnegative()
  .meta({ description: 'Integer amount in minor units (cents)', example: 10000 });

/** Free text written by a person: trimmed, not blank. */
export const Note = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .regex(/\S/, 'must not be blank')
  .meta({ description: 'Free text, 1–1000 characters, not only whitespace' });

export const Timestamp = z
  .string()
  .meta({ description: 'RFC 3339 UTC timestamp', example: '2026-11-25T14:00:00.000Z' });

/** Platform ids (customers, products): opaque strings of the platform's choosing. */
export const ExternalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_\-:.]+$/, 'letters, digits and _-:. only');

/**
 * A postal address: the one shape of an address in this service — the platform's customers
 * and shipments, the snapshot stored with a purchase, and the API's views of both.
 */
export const Address = z
  .object({
    line1: z.string(),
    line2: z.string().nullable().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  })
  .meta({ id: 'ShippingAddress' });
export type Address = z.infer<typeof Address>;

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable snake_case error code that clients branch on' }),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Validation issues, for code validation_failed' }),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; extra members depend on `code`' });
export type Problem = z.infer<typeof Problem>;

/**
 * A keyset cursor: pass a `nextCursor` back unchanged. Well-formed but not issued by this API
 * (or by the platform, for its views) → 422 `cursor_invalid`.
 */
export const Cursor = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9_-]+$/, 'a cursor this API issued (base64url)')
  .meta({
    description:
      'Opaque keyset cursor (base64url): the `nextCursor` of a previous page, unchanged. A well-formed cursor this API did not issue → 422 `cursor_invalid`.',
  });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: Cursor.optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

export function listOf<T extends z.ZodType>(
  item: T,
  id: string,
): z.ZodObject<{ data: z.ZodArray<T>; nextCursor: z.ZodNullable<z.ZodString> }> {
  return z
    .object({
      data: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
    })
    .meta({ id });
}

/**
 * 1–255 visible ASCII characters, spaces allowed inside: HTTP strips a header value's leading
 * and trailing whitespace, so a key cannot start or end with one.
 */
export const IdempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[!-~](?:[ -~]*[!-~])?$/, 'visible ASCII, no leading or trailing space');
