/** The worker: registers workflows (bundled from workflows/) and activities on one task queue. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import type { Logger } from '../logger.js';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { activityInterceptors } from './activity-interceptors.js';
import { describeConnection, nativeConnectionOptions, type TemporalConnectionOptions } from './connection.js';

/**
 * `workflows/` relative to this module, with this module's own extension: `.ts` when run
 * from source (tsx), `.js` when run from compiled output laid out like the source.
 */
const self = fileURLToPath(import.meta.url);
const workflowsDir = path.resolve(path.dirname(self), '..', '..', 'workflows');
const ext = path.extname(self);

export const WORKFLOWS_PATH = path.join(workflowsDir, `index${ext}`);
/** Bundled with the workflows (pass to `bundleWorkflowCode` too): request ids on workflow logs and activity headers. */
export const WORKFLOW_INTERCEPTOR_MODULES = [path.join(workflowsDir, `interceptors${ext}`)];
/**
 * The workflow bundle `npm run build` writes beside the compiled code (`dist/workflow-bundle.js`,
 * interceptors included). A compiled worker loads it instead of bundling workflows/ with webpack
 * at every start; from source there is none, and the worker bundles workflows/ as before.
 */
export const PREBUILT_WORKFLOW_BUNDLE = path.resolve(path.dirname(self), '..', '..', 'workflow-bundle.js');

export interface WorkerSetup {
  readonly address: string;
  /** TLS and API key of the Temporal endpoint (config `temporal.tls`, `temporal.apiKey`); none: plain text. */
  readonly connection?: TemporalConnectionOptions;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** Pre-built bundle (tests build one per run); otherwise workflows/ is bundled at start. */
  readonly workflowBundle?: { code: string };
  /** Overrides of the SDK's defaults; by default from the config (`WORKER_MAX_*`). */
  readonly tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentLocalActivityExecutions'
      | 'maxCachedWorkflows'
    >
  >;
}

export interface RunningWorker {
  readonly worker: Worker;
  readonly connection: NativeConnection;
}

let runtimeInstalled = false;

const PINO_LEVEL: Readonly<Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export interface RuntimeOptions {
  /** `host:port` for the SDK's Prometheus exporter (worker, workflow and activity metrics); unset = off. */
  readonly metricsBindAddress?: string | undefined;
}

/**
 * Routes the Temporal SDK's own logs (worker lifecycle, workflow and activity loggers) into
 * our JSON logger, and exports the SDK's metrics to Prometheus when asked. Once per process:
 * the Runtime is a process-wide singleton.
 */
export function installRuntimeLogger(logger: Logger, options: RuntimeOptions = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level: LogLevel = logger.isLevelEnabled('debug')
    ? 'DEBUG'
    : logger.isLevelEnabled('info')
      ? 'INFO'
      : logger.isLevelEnabled('warn')
        ? 'WARN'
        : 'ERROR';
  Runtime.install({
    // The entrypoints own SIGINT/SIGTERM and shut the worker down once, in order (API first,
    // then the worker, then the connections); the SDK's own handlers would shut it down a
    // second time (IllegalStateError: Not running. Current state: DRAINING).
    shutdownSignals: [],
    logger: new DefaultLogger(level, (entry) => {
      if (!logger.isLevelEnabled(PINO_LEVEL[entry.level])) return;
      // The task token is a capability to complete the activity: it stays out of the logs.
      const { taskToken: _taskToken, ...meta } = entry.meta ?? {};
      logger[PINO_LEVEL[entry.level]]({ ...meta, component: 'temporal' }, entry.message);
    }),
    ...(options.metricsBindAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: options.metricsBindAddress,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
  });
  if (options.metricsBindAddress)
    logger.info({ bindAddress: options.metricsBindAddress }, 'Temporal SDK metrics at /metrics');
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Where the workflow code comes from: the caller's bundle, the pre-built one, or workflows/
 * bundled now. A bundle carries its workflow interceptors inside (the SDK ignores, with a
 * warning, `interceptors.workflowModules` next to one), so they are passed only when bundling.
 */
function workflowSource(setup: WorkerSetup): Pick<WorkerOptions, 'interceptors' | 'workflowBundle' | 'workflowsPath'> {
  const interceptors = { activity: [activityInterceptors(setup.deps)] };
  if (setup.workflowBundle) return { interceptors, workflowBundle: setup.workflowBundle };
  if (ext === '.js' && existsSync(PREBUILT_WORKFLOW_BUNDLE)) {
    setup.deps.logger.info({ codePath: PREBUILT_WORKFLOW_BUNDLE }, 'workflows from the pre-built bundle');
    return { interceptors, workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } };
  }
  return {
    interceptors: { ...interceptors, workflowModules: WORKFLOW_INTERCEPTOR_MODULES },
    workflowsPath: WORKFLOWS_PATH,
  };
}

export async function createWorker(setup: WorkerSetup): Promise<RunningWorker> {
  const { config } = setup.deps;
  installRuntimeLogger(setup.deps.logger, {
    metricsBindAddress:
      config.metrics.temporalPort !== undefined ? `${config.host}:${config.metrics.temporalPort}` : undefined,
  });
  const connection = await NativeConnection.connect({
    address: setup.address,
    ...nativeConnectionOptions(setup.connection),
  }).catch((error: unknown) => {
    throw new Error(
      `the worker cannot connect to Temporal at ${setup.address} (${describeConnection(setup.connection)}): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities(setup.deps),
    // On shutdown, running activities get this long to finish before they are cancelled.
    shutdownGraceTime: config.shutdownTimeoutMs,
    ...workflowSource(setup),
    ...definedOnly(setup.tuning ?? config.worker),
  });
  return { worker, connection };
}
