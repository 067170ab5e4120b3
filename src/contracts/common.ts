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

/**
 * Free text that is stored: at least one character that is not whitespace, and no NUL character
 * (a Postgres text column cannot hold U+0000: such a note was a 500 on a grant and a refund
 * retried until the caller got 503). One pattern, in the document and in zod.
 */
// Whitespace is spelled out as what String.prototype.trim removes: `\s` differs between the
// regex engines that read the document (JavaScript, Python, Rust) on U+FEFF.
const SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
export const TEXT_PATTERN = new RegExp(`^[^\\x00]*[^${SPACE}\\x00][^\\x00]*$`);
const TEXT_RULE = 'not only whitespace, no NUL character (U+0000)';

/** Free text written by a person, `min`–`max` characters once trimmed (see TEXT_PATTERN). */
export function freeText(min: number, max: number): z.ZodString {
  return z.string().trim().min(min).max(max).regex(TEXT_PATTERN, `must not be blank or hold a NUL character`);
}

/** Free text written by a person: trimmed, not blank, no NUL. */
export const Note = freeText(1, 1000).meta({ description: `Free text, 1–1000 characters, ${TEXT_RULE}` });

export const Timestamp = z
  .string()
  .meta({ description: 'RFC 3339 UTC timestamp', example: '2026-11-25T14:00:00.000Z' });

/**
 * The instants a request may carry (query filters, statement periods, promo-code windows): RFC
 * 3339 with an offset, bounded to what the service and Postgres both take — years 1970–2999 and
 * offsets within ±14:00 (the widest real time zone). Postgres refuses offsets past ±15:59, and a
 * year before 1970 or after 2999 means nothing to a ledger that started in 2026. The pattern is
 * exact (days of each month, leap years), written into the OpenAPI document and checked by zod,
 * so that every string the document admits is an instant the server takes, and no other.
 */
const YEAR = '(?:19[7-9][0-9]|2[0-9]{3})';
/** Leap years of that range: every fourth year, but of the centuries only 2000 and 2400. */
const LEAP_YEAR = '(?:19(?:7[26]|8[048]|9[26])|2[0-9](?:0[48]|[2468][048]|[13579][26])|2[04]00)';
const MONTH_DAY =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))';
const TIME = '(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?';
const OFFSET = '(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))';
export const INSTANT_PATTERN = new RegExp(`^(?:${YEAR}-${MONTH_DAY}|${LEAP_YEAR}-02-29)T${TIME}${OFFSET}$`);
export const INSTANT_RULE =
  'RFC 3339 with an offset (Z or ±hh:mm): years 1970–2999, offsets within ±14:00, at most 9 fraction digits (rounded to microseconds); otherwise 400 `validation_failed`.';

/** A bounded RFC 3339 instant in a request (see INSTANT_PATTERN); `description` says what it means here. */
export function instant(description?: string): z.ZodISODateTime {
  return z.iso
    .datetime({ offset: true })
    .regex(INSTANT_PATTERN, 'an RFC 3339 instant with an offset, years 1970–2999, offset within ±14:00')
    .meta({
      description: description ? `${description} ${INSTANT_RULE}` : INSTANT_RULE,
      format: 'date-time',
      example: '2026-11-30T00:00:00Z',
    });
}

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
