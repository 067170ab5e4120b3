/**
 * The transactional outbox: `appendEvent` writes an event in the caller's transaction, so the
 * event commits with the change it announces or not at all. Its sequence comes from the one-row
 * `event_sequence` counter (UPDATE … RETURNING, in the same statement as the insert): writers of
 * events serialise on that row until they commit, so events commit in sequence order and a
 * rollback gives its number back. `listEventsAfter(N)` therefore never skips an event that
 * commits later with a smaller number — there is none — and never sees a gap.
 *
 * Hold the counter's lock briefly: append the event as the last statement before commit.
 */
import { and, asc, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';
import { newId } from '../domain/ids.js';
import { events, type EventRow, type EventType } from './schema.js';

export interface EventRecord {
  readonly id: string;
  readonly sequence: number;
  readonly type: EventType;
  readonly customerId: string | null;
  readonly createdAt: Date;
  readonly data: Record<string, unknown>;
}

export interface NewEvent {
  readonly type: EventType;
  /** The customer the event concerns (null for events about no one customer). */
  readonly customerId: string | null;
  /** The resource exactly as the API returns it. */
  readonly data: object;
}

interface AppendedRow extends Record<string, unknown> {
  sequence: string | number;
  id: string;
  created_ms: string | number;
}

function fromRow(row: EventRow): EventRecord {
  return {
    id: row.id,
    sequence: row.sequence,
    type: row.type,
    customerId: row.customerId,
    createdAt: row.createdAt,
    data: row.data,
  };
}

/**
 * Appends one event inside the caller's transaction (`tx` must be a transaction: outside one
 * the counter's lock would end with the statement and the event with it, which is still
 * correct but announces a change that is not in the same transaction). One round trip: the
 * counter's UPDATE and the insert are one statement.
 */
export async function appendEvent(tx: Executor, event: NewEvent): Promise<EventRecord> {
  // JSON round trip: what is stored is what a reader gets (dates as ISO strings, no undefined).
  const data = JSON.stringify(event.data);
  const result = await tx.execute<AppendedRow>(sql`
    with next as (
      update event_sequence set last = last + 1 where id = 1 returning last
    )
    insert into events (sequence, id, type, customer_id, data)
    select next.last, ${newId('evt')}, ${event.type}, ${event.customerId}, ${data}::jsonb from next
    returning sequence, id, (extract(epoch from created_at) * 1000)::float8 as created_ms`);
  // postgres.js answers an array, PGlite `{ rows }`.
  const rows = Array.isArray(result) ? (result as AppendedRow[]) : (result as { rows: AppendedRow[] }).rows;
  const row = rows[0];
  if (!row) throw new Error('event_sequence has no row: run the migrations');
  return {
    id: row.id,
    sequence: Number(row.sequence),
    type: event.type,
    customerId: event.customerId,
    createdAt: new Date(Number(row.created_ms)),
    data: JSON.parse(data) as Record<string, unknown>,
  };
}

export interface ListEventsInput {
  /** Events with a sequence greater than this (0 = from the start). */
  readonly after: number;
  /** Only these types (all when absent or empty). */
  readonly types?: readonly EventType[] | undefined;
  readonly limit: number;
}

/** Oldest first: the events after `after`, at most `limit`. */
export async function listEventsAfter(db: Executor, input: ListEventsInput): Promise<EventRecord[]> {
  const conditions: SQL[] = [gt(events.sequence, input.after)];
  if (input.types && input.types.length > 0) conditions.push(inArray(events.type, [...input.types]));
  const rows = await db
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(asc(events.sequence))
    .limit(input.limit);
  return rows.map(fromRow);
}

/** The sequence of the last committed event (0 when there is none). */
export async function lastEventSequence(db: Executor): Promise<number> {
  const rows = await db.select({ last: sql<string>`coalesce(max(${events.sequence}), 0)` }).from(events);
  return Number(rows[0]?.last ?? 0);
}
