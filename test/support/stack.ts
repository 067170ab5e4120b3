/**
 * The real stack for one test file: a fresh Postgres database cloned from the migrated
 * template, platform-mock on a free port, a Temporal client and a worker on a task queue of
 * its own (against the run's dev server), and the API on a free port. `close()` stops all of
 * it and drops the database.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { PlatformClient } from '../../src/platform/client.js';
import { platformClientFactory } from '../../src/platform/factory.js';
import { temporalConnectionOptions } from '../../src/temporal/client.js';
import { nativeConnectionOptions } from '../../src/temporal/connection.js';
import { startWebhookDispatcher, type WebhookDispatcher } from '../../src/temporal/webhook-dispatcher.js';
import { createWorker, type RunningWorker } from '../../src/temporal/worker.js';
import { startPlatformMock } from '../../platform-mock/src/server.js';
import { adminUrl, cloneDatabase, databaseUrl, dropDatabase } from './databases.js';

export const TOKENS = {
  storefront: 'test_storefront_token',
  support: 'test_support_token',
  admin: 'test_admin_token',
  support2: 'test_support2_token',
} as const;

export const API_TOKENS = `web:storefront:${TOKENS.storefront},alice:support:${TOKENS.support},root:admin:${TOKENS.admin},bob:support:${TOKENS.support2}`;

export interface StackOptions {
  /** Start a worker (default true). */
  readonly worker?: boolean;
  readonly env?: Record<string, string>;
  /** A logger of the test's own (e.g. one that captures lines); default: LOG_LEVEL, to stdout. */
  readonly logger?: Logger;
}

export interface TestStack {
  readonly config: Config;
  readonly database: Database;
  readonly apiUrl: string;
  readonly platformUrl: string;
  readonly platform: PlatformClient;
  readonly temporal: Client;
  readonly taskQueue: string;
  /** The Prometheus registry shared by this stack's API and worker (as in `dev` mode). */
  readonly metrics: Metrics;
  /** Starts (again) a worker for this stack's task queue, e.g. after a simulated crash. */
  startWorker(): Promise<RunningWorker>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const dbName = await cloneDatabase(inject('templateDatabase'));
  const taskQueue = `test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const mock = await startPlatformMock({ port: 0 });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl(dbName),
    DATABASE_POOL_MAX: '20',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    PLATFORM_API_URL: mock.url,
    PLATFORM_TIMEOUT_MS: '2000',
    API_TOKENS,
    LOG_LEVEL: 'silent',
    // Stopping a test's worker cancels activities still running after 1 s.
    SHUTDOWN_TIMEOUT_MS: '1000',
    // Maker–checker off unless a test turns it on: other tests grant large amounts with support tokens.
    APPROVAL_THRESHOLD: '0',
    ...options.env,
  });
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const database = await openDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax });
  // The run's dev server, unless the test points the stack elsewhere (TLS tests: a TLS proxy).
  const temporalAddress = config.temporal.address ?? inject('temporalAddress');
  const connectionOptions = temporalConnectionOptions(config);
  const connection = await Connection.connect({
    address: temporalAddress,
    ...nativeConnectionOptions(connectionOptions),
  });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const platform = platformClientFactory(config, mock.url, (result) => metrics.platformCache.inc({ result }));
  const app = createApp({
    config,
    database,
    logger,
    temporal,
    platform,
    metrics,
    temporalUiUrl: 'http://127.0.0.1:8233',
    webDistDir: config.webDistDir,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bundle = { code: readFileSync(inject('workflowBundlePath'), 'utf8') };

  let running: { worker: RunningWorker; done: Promise<void>; dispatcher: WebhookDispatcher } | null = null;
  const startWorker = async (): Promise<RunningWorker> => {
    const worker = await createWorker({
      address: temporalAddress,
      connection: connectionOptions,
      namespace: config.temporal.namespace,
      taskQueue,
      deps: { config, database, logger, platform, temporal, metrics },
      workflowBundle: bundle,
    });
    // The webhook dispatcher runs beside every worker, as in src/service.ts.
    const dispatcher = await startWebhookDispatcher({ config, database, temporal, logger });
    running = { worker, done: worker.worker.run(), dispatcher };
    return worker;
  };
  const stopWorker = async (): Promise<void> => {
    if (!running) return;
    const current = running;
    running = null;
    await current.dispatcher.close();
    if (current.worker.worker.getState() === 'RUNNING') current.worker.worker.shutdown();
    await current.done.catch(() => undefined);
    await current.worker.connection.close();
  };
  if (options.worker !== false) await startWorker();

  return {
    config,
    database,
    apiUrl,
    platformUrl: mock.url,
    platform: platform(),
    temporal,
    taskQueue,
    metrics,
    startWorker,
    stopWorker,
    close: async () => {
      await stopWorker();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await database.close();
      await mock.close();
      await dropDatabase(adminUrl(), dbName);
    },
  };
}
