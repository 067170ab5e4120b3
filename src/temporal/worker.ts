/** The worker: registers workflows (bundled from workflows/) and activities on one task queue. */
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { REPO_ROOT } from './dev-server.js';

export const WORKFLOWS_PATH = path.join(REPO_ROOT, 'workflows', 'index.ts');

export interface WorkerSetup {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** Pre-built bundle (tests build one per run); otherwise workflows/ is bundled at start. */
  readonly workflowBundle?: { code: string };
  readonly tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>>;
}

export interface RunningWorker {
  readonly worker: Worker;
  readonly connection: NativeConnection;
}

export async function createWorker(setup: WorkerSetup): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: setup.address });
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities(setup.deps),
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...setup.tuning,
  });
  return { worker, connection };
}
