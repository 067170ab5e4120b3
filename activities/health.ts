/** Activities that prove the worker's wiring: database reachable from the worker. */
import { sql } from 'drizzle-orm';
import type { ActivityDeps } from './deps.js';

export interface WorkerPing {
  readonly databaseTime: string;
  readonly databaseKind: 'postgres' | 'pglite';
}

export interface HealthActivities {
  pingDatabase(): Promise<WorkerPing>;
}

export function createHealthActivities(deps: ActivityDeps): HealthActivities {
  return {
    async pingDatabase(): Promise<WorkerPing> {
      const result = await deps.database.db.execute<{ now: string }>(
        sql`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as now`,
      );
      const rows = (Array.isArray(result) ? result : (result as { rows: { now: string }[] }).rows) as { now: string }[];
      return { databaseTime: rows[0]?.now ?? '', databaseKind: deps.database.kind };
    },
  };
}
