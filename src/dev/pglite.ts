/**
 * The embedded database of `npm run dev` when `DATABASE_URL` is unset: PGlite (Postgres
 * compiled to WebAssembly) in `DATA_DIR/pglite`. One connection, ~5 s to start; fine for a
 * laptop, never for production or the concurrency tests.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { MIGRATIONS_FOLDER, withTimeout, type Database, type Db } from '../db/client.js';
import * as schema from '../db/schema.js';

export async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dir = path.resolve(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir);
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    ping: async (timeoutMs = 2000) => {
      await withTimeout(db.execute(sql`select 1`), timeoutMs, 'PGlite');
    },
    migrate: async () => {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS_FOLDER });
    },
    listen: async (channel, onNotify) => client.listen(channel, () => onNotify()),
    close: async () => {
      await client.close();
    },
  };
}
