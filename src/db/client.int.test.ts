/**
 * The Postgres client survives killed connections (a fail-over, an admin's
 * `pg_terminate_backend`): postgres.js 3.4.9 as patched by scripts/patch-postgres.mjs
 * (porsager/postgres#1154, #1208). Unpatched, each test fails: the first crashes the process
 * (a transaction's ROLLBACK written to the dead connection from a `setImmediate`) and its
 * next queries fail with the killed backends' old error; the second waits `connect_timeout`
 * (a connection closed with a write pending never sends its next StartupMessage); the third
 * crashes with an unhandled rejection (a backend killed while a new connection fetches its
 * array types). Real Postgres, no mocks.
 */
import { once } from 'node:events';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminUrl } from '../../test/support/databases.js';
import { openDatabase } from './client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Lets scheduled immediates (where the unpatched driver threw) and timers run. */
const settle = async (): Promise<void> => {
  await sleep(100);
  await new Promise<void>((r) => setImmediate(r));
  await sleep(100);
};

let uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
beforeEach(() => {
  uncaught = [];
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

describe('postgres.js with terminated backends', () => {
  it('queries and transactions in flight fail, the process lives, and the pool serves the next queries', async () => {
    const app = `client-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(adminUrl());
    url.searchParams.set('application_name', app);
    const database = await openDatabase({ url: url.toString(), poolMax: 4 });
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => undefined });
    try {
      const inFlight = [
        database.db.transaction(async (tx) => {
          await tx.execute(sql`select pg_sleep(30)`);
        }),
        database.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          await tx.execute(sql`select pg_sleep(30)`);
        }),
        database.db.execute(sql`select pg_sleep(30)`),
        database.db.execute(sql`select pg_sleep(30)`),
      ];
      const settled = Promise.allSettled(inFlight);
      const deadline = Date.now() + 20_000;
      let running = 0;
      while (running < inFlight.length) {
        if (Date.now() > deadline) throw new Error(`only ${running} of ${inFlight.length} queries reached Postgres`);
        await sleep(50);
        [{ running = 0 } = {}] = await admin<{ running: number }[]>`
          select count(*)::int as running from pg_stat_activity where application_name = ${app} and query like '%pg_sleep%'`;
      }
      // In the select list, so only the rows the WHERE clause kept are terminated.
      const killed = await admin<{ pid: number; killed: boolean }[]>`
        select pid, pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = ${app}`;
      expect(killed.map((k) => k.killed)).toEqual([true, true, true, true]);

      const outcomes = await settled;
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      await settle();
      expect(uncaught).toEqual([]);

      // Every connection of the pool again, each on a new backend.
      const pids = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const rows: unknown = await database.db.execute(sql`select pg_backend_pid() as pid, pg_sleep(0.1)`);
          return Number((rows as { pid: number }[])[0]?.pid);
        }),
      );
      expect(new Set(pids).size).toBe(4);
      for (const pid of pids) expect(killed.map((k) => k.pid)).not.toContain(pid);
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
      });
      await settle();
      expect(uncaught).toEqual([]);
    } finally {
      await admin.end({ timeout: 5 });
      await database.close();
    }
  }, 60_000);

  it('a connection whose socket closes with a write pending reconnects at once', async () => {
    const { hostname, port } = new URL(adminUrl());
    let current: net.Socket | null = null;
    const options = {
      max: 1,
      onnotice: () => undefined,
      connect_timeout: 5,
      // postgres.js's own hook (not in its types): the test holds the socket to close it.
      socket: async (): Promise<net.Socket> => {
        const socket = net.connect(Number(port || 5432), hostname);
        await once(socket, 'connect');
        current = socket;
        return socket;
      },
    };
    const client = postgres(adminUrl(), options);
    try {
      expect((await client<{ x: number }[]>`select 1 as x`)[0]?.x).toBe(1);
      // In the check phase: the socket's 'close' runs in this loop iteration's close phase,
      // the query's deferred write (a setImmediate) only in the next iteration.
      const inFlight = await new Promise<Promise<unknown>>((resolve) =>
        setImmediate(() => {
          current?.destroy();
          resolve(
            client`select 2 as x`.then(
              (rows) => rows,
              (error: unknown) => error,
            ),
          );
        }),
      );
      expect(await inFlight).toMatchObject({ code: 'CONNECTION_CLOSED' });
      const next = await client<{ x: number }[]>`select 3 as x`;
      expect(next[0]?.x).toBe(3);
      await settle();
      expect(uncaught).toEqual([]);
    } finally {
      await client.end({ timeout: 5 });
    }
  }, 30_000);

  it('a backend terminated while a new connection fetches its array types: the waiting query runs on the next one', async () => {
    const app = `client-test-types-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(adminUrl());
    url.searchParams.set('application_name', app);
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => undefined });
    const kill: { done: Promise<unknown> | null } = { done: null };
    const options = {
      max: 1,
      onnotice: () => undefined,
      connect_timeout: 5,
      // The first connection's array-types query is held back and its backend terminated:
      // Postgres answers FATAL 57P01 while the client waits for the types.
      socket: async (): Promise<net.Socket> => {
        const socket = net.connect(Number(url.port || 5432), url.hostname);
        await once(socket, 'connect');
        const write = socket.write.bind(socket) as (chunk: Buffer, callback?: () => void) => boolean;
        socket.write = ((chunk: Buffer, callback?: () => void): boolean => {
          if (kill.done === null && Buffer.isBuffer(chunk) && chunk.includes('typarray')) {
            kill.done =
              admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${app}`.execute();
            return true;
          }
          return write(chunk, callback);
        }) as typeof socket.write;
        return socket;
      },
    };
    const client = postgres(url.toString(), options);
    try {
      const rows = await client<{ x: number }[]>`select 1 as x`;
      expect(await kill.done).toHaveLength(1);
      expect(rows[0]?.x).toBe(1);
      expect((await client<{ n: number[] }[]>`select array[1, 2] as n`)[0]?.n).toEqual([1, 2]);
      await settle();
      expect(uncaught).toEqual([]);
    } finally {
      await admin.end({ timeout: 5 });
      await client.end({ timeout: 5 });
    }
  }, 30_000);
});
