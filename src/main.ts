/**
 * Entrypoints: `api`, `worker`, `migrate`, and `dev` (everything in one command: Temporal dev
 * server, platform-mock, embedded database, migrations, worker, API). Usage:
 *   tsx src/main.ts dev|api|worker|migrate
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import { createApp } from './api/app.js';
import { loadConfig, type Config } from './config.js';
import { migrateDatabase, openDatabase, type Database } from './db/client.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, serveMetrics, type Metrics } from './metrics.js';
import { platformClientFactory, type PlatformClientFactory } from './platform/factory.js';
import { connectTemporal, type TemporalHandle } from './temporal/client.js';
import { REPO_ROOT, findTemporalCli } from './temporal/dev-server.js';
import { ensureReconcileSchedule } from './temporal/schedules.js';
import { createWorker, type RunningWorker } from './temporal/worker.js';

type Stopper = () => Promise<void>;

/** One cache per process; its hit/miss/revalidation counts feed the metrics. */
function platformFactory(config: Config, url: string, metrics: Metrics): PlatformClientFactory {
  return platformClientFactory(config, url, (result) => metrics.platformCache.inc({ result }));
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** platform-mock as its own process, as the real platform would be. */
async function startPlatformMockProcess(config: Config, logger: Logger): Promise<{ url: string; stop: Stopper }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'platform-mock', 'src', 'main.ts')], {
    env: { ...process.env, PLATFORM_PORT: String(config.platform.port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${config.platform.port}`;
  await waitForHttp(`${url}/health`, 30_000);
  logger.info({ url }, 'platform-mock started');
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

async function startApi(config: Config, logger: Logger, database: Database, temporal: TemporalHandle, platformUrl: string, metrics: Metrics): Promise<Stopper> {
  const app = createApp({
    config, database, logger, temporal: temporal.client, temporalUiUrl: temporal.uiUrl, metrics,
    platform: platformFactory(config, platformUrl, metrics), webDistDir: config.webDistDir,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  // Graceful stop: no new connections; requests in flight finish (a purchase waits up to
  // PURCHASE_SYNC_TIMEOUT_MS); idle keep-alive sockets close now; SHUTDOWN_TIMEOUT_MS caps it.
  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at the shutdown deadline: closing their connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
    logger.info('API stopped');
  };
}

async function startWorker(config: Config, logger: Logger, database: Database, temporal: TemporalHandle, platformUrl: string, metrics: Metrics): Promise<{ running: RunningWorker; done: Promise<void> }> {
  const running = await createWorker({
    address: temporal.address,
    namespace: temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { config, database, logger, platform: platformFactory(config, platformUrl, metrics), temporal: temporal.client, metrics },
  });
  const done = running.worker.run();
  return { running, done };
}

function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

function ensureTemporalCli(config: Config, logger: Logger): void {
  if (config.temporal.address || findTemporalCli(config.temporal.cliPath)) return;
  logger.info('no temporal CLI found: installing it into .tools/ (npm run setup)');
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'setup.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) logger.warn('npm run setup failed; falling back to the SDK download of the dev server');
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'dev';
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const stoppers: Stopper[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  };
  onShutdown(logger, stopAll);

  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax });
  stoppers.push(() => database.close());

  if (mode === 'migrate') {
    await migrateDatabase(database);
    logger.info({ database: database.kind }, 'migrations applied');
    await stopAll();
    return;
  }
  if (mode === 'dev' || config.env !== 'production') await migrateDatabase(database);

  if (mode === 'dev') ensureTemporalCli(config, logger);
  const temporal = await connectTemporal(config, (line) => logger.info(line));
  stoppers.push(() => temporal.close());

  let platformUrl = config.platform.url;
  if (!platformUrl) {
    if (mode !== 'dev') throw new Error('PLATFORM_API_URL must be set outside `dev` mode');
    const mock = await startPlatformMockProcess(config, logger);
    stoppers.push(mock.stop);
    platformUrl = mock.url;
  }

  // One registry per process: in `dev` mode the API's /metrics shows the worker's too.
  const metrics = createMetrics();
  if (mode === 'worker' || mode === 'dev') {
    const { running, done } = await startWorker(config, logger, database, temporal, platformUrl, metrics);
    stoppers.push(async () => {
      // Drains: no new tasks are polled; running activities get SHUTDOWN_TIMEOUT_MS to finish.
      running.worker.shutdown();
      await done;
      await running.connection.close();
      logger.info('worker stopped');
    });
    done.catch((error: unknown) => {
      logger.fatal({ err: error }, 'worker stopped');
      process.exitCode = 1;
    });
    await ensureReconcileSchedule(temporal.client, config, logger);
    if (mode === 'worker' && config.metrics.workerPort !== undefined) {
      stoppers.push(await serveMetrics(metrics, config.host, config.metrics.workerPort));
      logger.info({ port: config.metrics.workerPort }, 'worker metrics at /metrics');
    }
  }
  if (mode === 'api' || mode === 'dev') {
    stoppers.push(await startApi(config, logger, database, temporal, platformUrl, metrics));
  }
  if (!['api', 'worker', 'dev'].includes(mode)) throw new Error(`unknown mode "${mode}": use dev, api, worker or migrate`);

  const apiUrl = `http://${config.host}:${config.port}`;
  const banner = [
    '',
    `  purchase-ledger (${mode}) is running`,
    ...(mode !== 'worker' ? [`  Internal app   ${apiUrl}/`, `  API            ${apiUrl}/v1`, `  API docs       ${apiUrl}/docs`] : []),
    `  Temporal       ${temporal.address} (namespace ${temporal.namespace})`,
    ...(temporal.uiUrl ? [`  Temporal UI    ${temporal.uiUrl}`] : []),
    `  Platform       ${platformUrl}`,
    `  Database       ${database.kind === 'pglite' ? `embedded PGlite in ${path.resolve(config.dataDir, 'pglite')}` : 'Postgres (DATABASE_URL)'}`,
    ...(config.usingDevTokens ? ['  Dev tokens     storefront: dev_storefront_token  support: dev_support_token  admin: dev_admin_token'] : []),
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(banner.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
