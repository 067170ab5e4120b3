/** Events written the way the service writes them (appendEvent in a transaction), for webhook tests. */
import { appendEvent, type EventRecord } from '../../src/db/events-repository.js';
import type { EventType } from '../../src/db/schema.js';
import type { TestStack } from './stack.js';

export async function appendTestEvent(
  stack: TestStack,
  type: EventType = 'credit.granted',
  data: Record<string, unknown> = {},
  customerId: string | null = 'cus_webhook_test',
): Promise<EventRecord> {
  return stack.database.db.transaction((tx) => appendEvent(tx, { type, customerId, data }));
}
