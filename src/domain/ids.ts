/**
 * Prefixed, sortable, opaque ids (`ent_01J…`): a ULID after a type prefix, so ids sort by
 * creation time, say what they name in a log line, and reveal nothing else.
 */
import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

export type IdPrefix = 'ent' | 'pur' | 'ref' | 'hold' | 'req' | 'run' | 'aud' | 'apr' | 'evt' | 'whe' | 'whd';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${next()}`;
}
