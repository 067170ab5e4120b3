/**
 * The outbox's sequence is gap-free and commits in order: concurrent writers that hold their
 * transaction open for a random while after appending (and some that roll back), against a
 * poller that reads `after` its last sequence continuously. The poller must see every committed
 * event exactly once, in sequence order, with no gap — and never an event of a rolled-back
 * transaction. Real Postgres.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { adminUrl, cloneDatabase, databaseUrl, dropDatabase } from '../../test/support/databases.js';
import { openDatabase, type Database } from './client.js';
import { appendEvent, lastEventSequence, listEventsAfter, type EventRecord } from './events-repository.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let database: Database;
let dbName: string;

beforeAll(async () => {
  dbName = await cloneDatabase(inject('templateDatabase'));
  database = await openDatabase({ url: databaseUrl(dbName), poolMax: 20 });
});

afterAll(async () => {
  await database.close();
  await dropDatabase(adminUrl(), dbName);
});

class Rollback extends Error {}

/** Drizzle wraps the driver's error: the database's message is the cause's. */
async function refused(query: Promise<unknown>, message: RegExp): Promise<void> {
  const error: unknown = await query.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const cause = (error as Error).cause;
  expect(cause instanceof Error ? cause.message : (error as Error).message).toMatch(message);
}

describe('events outbox', () => {
  it('16 concurrent writers with random delays before commit and rollbacks: a continuous poller sees every committed event once, in order, with no gap', async () => {
    const start = await lastEventSequence(database.db);
    const writers = 16;
    const perWriter = 12;
    const committed = new Set<string>();
    const rolledBack = new Set<string>();
    let writing = true;

    const polled: EventRecord[] = [];
    const poller = (async (): Promise<number> => {
      let after = start;
      let polls = 0;
      while (writing || after < (await lastEventSequence(database.db))) {
        const page = await listEventsAfter(database.db, { after, limit: 7 });
        polls += 1;
        for (const event of page) {
          // The invariant a consumer relies on: the next event it sees is exactly after + 1.
          expect(event.sequence).toBe(after + 1);
          after = event.sequence;
          polled.push(event);
        }
        if (page.length === 0) await sleep(1);
      }
      return polls;
    })();

    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < perWriter; i += 1) {
        const rollback = Math.random() < 0.2;
        let appended: EventRecord | null = null;
        try {
          await database.db.transaction(async (tx) => {
            await sleep(Math.random() * 3);
            appended = await appendEvent(tx, {
              type: 'credit.granted',
              customerId: `cus_${w}`,
              data: { writer: w, i },
            });
            // Held open after taking the number: another writer's later number must wait.
            await tx.execute(sql`select pg_sleep(${Math.random() * 0.005})`);
            if (rollback) throw new Rollback();
          });
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
        }
        const event = appended as EventRecord | null;
        if (!event) throw new Error('appendEvent returned nothing');
        (rollback ? rolledBack : committed).add(event.id);
      }
    };

    try {
      await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    } finally {
      writing = false;
    }
    const polls = await poller;

    const all = await listEventsAfter(database.db, { after: start, limit: 10_000 });
    expect(all.map((e) => e.sequence)).toEqual(Array.from({ length: all.length }, (_, i) => start + i + 1));
    expect(new Set(all.map((e) => e.id))).toEqual(committed);
    expect(polled.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(polled.some((e) => rolledBack.has(e.id))).toBe(false);
    expect(committed.size + rolledBack.size).toBe(writers * perWriter);
    expect(rolledBack.size).toBeGreaterThan(0);
    expect(polls).toBeGreaterThan(10);
  });

  it('the type filter keeps the order and `after` of the whole feed', async () => {
    const start = await lastEventSequence(database.db);
    for (const type of ['refund.created', 'credit.deducted', 'refund.created'] as const) {
      await database.db.transaction((tx) => appendEvent(tx, { type, customerId: null, data: { type } }));
    }
    const refunds = await listEventsAfter(database.db, { after: start, types: ['refund.created'], limit: 10 });
    expect(refunds.map((e) => e.sequence)).toEqual([start + 1, start + 3]);
    const afterFirst = await listEventsAfter(database.db, { after: start + 1, types: ['refund.created'], limit: 10 });
    expect(afterFirst.map((e) => e.sequence)).toEqual([start + 3]);
  });

  it('is append-only, and no event can take a sequence beside the counter', async () => {
    const event = await database.db.transaction((tx) =>
      appendEvent(tx, { type: 'credit.granted', customerId: 'cus_x', data: { at: new Date(0) } }),
    );
    expect(event.data).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    const [stored] = await listEventsAfter(database.db, { after: event.sequence - 1, limit: 1 });
    expect(stored).toEqual(event);
    await refused(database.db.execute(sql`update events set type = 'credit.deducted'`), /append-only/);
    await refused(database.db.execute(sql`delete from events`), /append-only/);
    await refused(database.db.execute(sql`truncate events`), /append-only/);
    await refused(database.db.execute(sql`update event_sequence set last = last + 5`), /moves by one/);
    await refused(database.db.execute(sql`delete from event_sequence`), /moves by one/);
    await refused(
      database.db.execute(
        sql`insert into events (sequence, id, type, data) values (${event.sequence + 100}, 'evt_forged', 'credit.granted', '{}')`,
      ),
      /not taken from event_sequence/,
    );
    await expect(
      database.db.transaction((tx) =>
        appendEvent(tx, { type: 'nope' as 'credit.granted', customerId: null, data: {} }),
      ),
    ).rejects.toThrow();
    expect(await lastEventSequence(database.db)).toBe(event.sequence);
  });
});
