/**
 * `ping`: the smallest workflow that crosses every boundary — client → server → worker →
 * activity → database. Operators can run it to check a worker deployment end to end.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const { pingDatabase } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export interface PingResult {
  readonly message: string;
  readonly databaseTime: string;
  readonly databaseKind: string;
}

export async function ping(message: string): Promise<PingResult> {
  const db = await pingDatabase();
  return { message, databaseTime: db.databaseTime, databaseKind: db.databaseKind };
}
