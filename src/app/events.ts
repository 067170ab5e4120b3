/**
 * The events feed: the outbox read from a sequence, oldest first. Because events commit in
 * sequence order (src/db/events-repository.ts), a consumer that passes back `nextAfter` sees
 * every event once, in order, also across restarts of this service or of itself.
 */
import type { Event, EventList, EventType } from '../contracts/index.js';
import { listEventsAfter, type EventRecord } from '../db/events-repository.js';
import type { AppDeps } from './deps.js';

export interface EventsFilter {
  readonly after: number;
  /** Only these types; all when empty. */
  readonly types: readonly EventType[];
  readonly limit: number;
}

/** An event as the feed shows it; its `data` was written by the same mapper as the API's GET of the resource. */
export function toEvent(record: EventRecord): Event {
  return {
    id: record.id,
    sequence: record.sequence,
    type: record.type,
    createdAt: record.createdAt.toISOString(),
    data: record.data,
  } as Event;
}

export async function eventsPage(deps: Pick<AppDeps, 'database'>, filter: EventsFilter): Promise<EventList> {
  const records = await listEventsAfter(deps.database.db, filter);
  const last = records[records.length - 1];
  return { data: records.map(toEvent), nextAfter: last ? last.sequence : filter.after };
}
