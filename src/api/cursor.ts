/** Opaque keyset cursors: base64url JSON that clients pass back unchanged. */
import type { z } from 'zod';
import { DomainError } from '../domain/errors.js';

export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.infer<T> | null {
  if (cursor === undefined) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: any undecodable cursor is the caller's mistake
  }
  throw new DomainError(
    'cursor_invalid',
    'The cursor is not one this API issued; pass the nextCursor of a previous page unchanged.',
  );
}
