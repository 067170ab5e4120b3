/** Test databases on the real Postgres of DATABASE_URL: a migrated template, cloned per file. */
import postgres from 'postgres';
import { migrateDatabase, openDatabase } from '../../src/db/client.js';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function adminUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

export function testDatabasePrefix(): string {
  return 'ledger_test_';
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

function uniqueName(kind: string): string {
  return `${testDatabasePrefix()}${kind}_${Date.now().toString(36)}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

async function withAdmin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl(), { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function createDatabaseFromScratch(): Promise<string> {
  const name = uniqueName('tmpl');
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const database = await openDatabase({ url: databaseUrl(name), poolMax: 1 });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  return name;
}

export async function cloneDatabase(template: string): Promise<string> {
  const name = uniqueName('file');
  // CREATE DATABASE … TEMPLATE fails while another session is connected to the template;
  // templates are only connected to during their own migration, so a short retry suffices.
  for (let attempt = 0; ; attempt += 1) {
    try {
      await withAdmin((sql) => sql.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      return name;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Removes databases left by runs that were killed (older than `olderThanMs`). */
export async function dropDatabasesWithPrefix(url: string, prefix: string, olderThanMs: number): Promise<void> {
  const rows = await withAdmin(
    (sql) => sql<{ datname: string }[]>`select datname from pg_database where datname like ${prefix + '%'}`,
  );
  const now = Date.now();
  for (const { datname } of rows) {
    const stamp = datname.slice(prefix.length).split('_')[1];
    const created = stamp ? parseInt(stamp, 36) : 0;
    if (Number.isFinite(created) && now - created > olderThanMs) await dropDatabase(url, datname);
  }
}
