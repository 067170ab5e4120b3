/** The worker: registers workflows (bundled from workflows/) and activities on one task queue. */
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../logger.js';
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

let runtimeInstalled = false;

const PINO_LEVEL: Readonly<Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'>> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/**
 * Routes the Temporal SDK's own logs (worker lifecycle, workflow and activity loggers) into
 * our JSON logger. Once per process: the Runtime is a process-wide singleton.
 */
export function installRuntimeLogger(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level: LogLevel = logger.isLevelEnabled('debug') ? 'DEBUG' : logger.isLevelEnabled('info') ? 'INFO' : logger.isLevelEnabled('warn') ? 'WARN' : 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      if (!logger.isLevelEnabled(PINO_LEVEL[entry.level])) return;
      logger[PINO_LEVEL[entry.level]]({ ...entry.meta, component: 'temporal' }, entry.message);
    }),
  });
}

export async function createWorker(setup: WorkerSetup): Promise<RunningWorker> {
  installRuntimeLogger(setup.deps.logger);
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
