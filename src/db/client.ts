/**
 * The database connection: postgres.js against a real Postgres (`DATABASE_URL`). `npm run
 * dev` may use an embedded PGlite database instead (src/dev/pglite.ts, never imported by the
 * production entrypoints); both are the same Drizzle `PgDatabase` behind `Database`, so
 * repositories do not know which one they use.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything that runs queries: the database or a transaction. */
export type Executor = Db | Tx;

export interface Database {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  /** Throws when the database does not answer within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Applies the migrations in `drizzle/` (idempotent: applied ones are skipped). */
  migrate(): Promise<void>;
  /**
   * LISTENs on `channel` (on a connection of its own, re-established after a drop) and calls
   * `onNotify` for each notification; resolves to the function that stops listening.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface OpenDatabaseOptions {
  /** A Postgres connection string; TLS through `sslmode` (see the README's Configuration). */
  readonly url: string | undefined;
  readonly poolMax?: number;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (!options.url)
    throw new Error('DATABASE_URL is not set (only `npm run dev` runs without it, on an embedded PGlite database)');
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = postgres(options.url, {
    max: options.poolMax ?? 10,
    onnotice: () => undefined,
    connect_timeout: 10,
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    ping: async (timeoutMs = 2000) => {
      await withTimeout(db.execute(sql`select 1`), timeoutMs, 'Postgres');
    },
    migrate: async () => {
      const { migrate } = await import('drizzle-orm/postgres-js/migrator');
      await migrate(db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS_FOLDER });
    },
    listen: async (channel, onNotify) => {
      const listening = await client.listen(channel, () => onNotify());
      return () => listening.unlisten();
    },
    close: async () => {
      await client.end({ timeout: 5 });
    },
  };
}

/** Applies the migrations in `drizzle/` (idempotent: applied ones are skipped). */
export function migrateDatabase(database: Database): Promise<void> {
  return database.migrate();
}
