/**
 * What every entrypoint runs (the production one, src/main.ts, and the dev one, src/dev/main.ts):
 * the API server, the worker, and one ordered stop on SIGINT/SIGTERM — each part stopped
 * exactly once, in the reverse order of its start (API, worker, connections, database).
 */
import type { Server } from 'node:http';
import { createApp } from './api/app.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { platformClientFactory, type PlatformClientFactory } from './platform/factory.js';
import type { TemporalHandle } from './temporal/client.js';
import { ensureReconcileSchedule } from './temporal/schedules.js';
import { createWorker } from './temporal/worker.js';
import { startWebhookDispatcher } from './temporal/webhook-dispatcher.js';

export type Stopper = () => Promise<void>;

/**
 * The parts started so far, stopped in reverse order. `stop()` runs once: a second signal, or
 * a stop after a failed start, waits for the first one instead of stopping anything twice.
 */
export class Lifecycle {
  private readonly stoppers: { name: string; stop: Stopper }[] = [];
  private stopping: Promise<boolean> | null = null;

  constructor(private readonly logger: Logger) {}

  add(name: string, stop: Stopper): void {
    this.stoppers.push({ name, stop });
  }

  /** Stops everything; resolves false when a part failed to stop (logged at error level). */
  stop(): Promise<boolean> {
    this.stopping ??= (async () => {
      let clean = true;
      for (const { name, stop } of [...this.stoppers].reverse()) {
        try {
          await stop();
        } catch (error) {
          clean = false;
          this.logger.error({ err: error, part: name }, 'stop failed');
        }
      }
      return clean;
    })();
    return this.stopping;
  }

  /** SIGINT (Ctrl-C) and SIGTERM stop everything once, then exit (1 if a part failed to stop). */
  stopOnSignals(): void {
    const handler = (signal: NodeJS.Signals): void => {
      if (this.stopping) return;
      this.logger.info({ signal }, 'shutting down');
      void this.stop().then((clean) => process.exit(clean ? 0 : 1));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}

/** One cache per process; its hit/miss/revalidation counts feed the metrics. */
function platformFactory(config: Config, url: string, metrics: Metrics): PlatformClientFactory {
  return platformClientFactory(config, url, (result) => metrics.platformCache.inc({ result }));
}

export interface ServiceParts {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly temporal: TemporalHandle;
  readonly platformUrl: string;
  /** One registry per process: in `dev` mode the API's /metrics shows the worker's too. */
  readonly metrics: Metrics;
}

export async function startApi(parts: ServiceParts, lifecycle: Lifecycle): Promise<void> {
  const { config, logger, database, temporal, platformUrl, metrics } = parts;
  const app = createApp({
    config,
    database,
    logger,
    temporal: temporal.client,
    temporalUiUrl: temporal.uiUrl,
    metrics,
    platform: platformFactory(config, platformUrl, metrics),
    webDistDir: config.webDistDir,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  // Graceful stop: no new connections; requests in flight finish (a purchase waits up to
  // PURCHASE_SYNC_TIMEOUT_MS); idle keep-alive sockets close now; SHUTDOWN_TIMEOUT_MS caps it.
  lifecycle.add('api', async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      logger.warn(
        { timeoutMs: config.shutdownTimeoutMs },
        'requests still in flight at the shutdown deadline: closing their connections',
      );
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
    logger.info('API stopped');
  });
}

export async function startWorker(parts: ServiceParts, lifecycle: Lifecycle): Promise<void> {
  const { config, logger, database, temporal, platformUrl, metrics } = parts;
  const running = await createWorker({
    address: temporal.address,
    connection: temporal.connectionOptions,
    namespace: temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: {
      config,
      database,
      logger,
      platform: platformFactory(config, platformUrl, metrics),
      temporal: temporal.client,
      metrics,
    },
  });
  const done = running.worker.run();
  done.catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker stopped');
    process.exitCode = 1;
  });
  const dispatcher = await startWebhookDispatcher({ config, database, temporal: temporal.client, logger });
  lifecycle.add('worker', async () => {
    await dispatcher.close();
    // Drains: no new tasks are polled; running activities get SHUTDOWN_TIMEOUT_MS to finish.
    if (running.worker.getState() === 'RUNNING') running.worker.shutdown();
    await done;
    await running.connection.close();
    logger.info('worker stopped');
  });
  await ensureReconcileSchedule(temporal.client, config, logger);
}

export interface Banner {
  readonly mode: string;
  readonly api: boolean;
  readonly config: Config;
  readonly temporal: TemporalHandle;
  readonly platformUrl: string;
  readonly database: string;
}

export function printBanner(banner: Banner): void {
  const { config, temporal } = banner;
  const apiUrl = `http://${config.host}:${config.port}`;
  const lines = [
    '',
    `  purchase-ledger (${banner.mode}) is running`,
    ...(banner.api
      ? [`  Internal app   ${apiUrl}/`, `  API            ${apiUrl}/v1`, `  API docs       ${apiUrl}/docs`]
      : []),
    `  Temporal       ${temporal.address} (namespace ${temporal.namespace}${config.temporal.tls ? ', TLS' : ''})`,
    ...(temporal.uiUrl ? [`  Temporal UI    ${temporal.uiUrl}`] : []),
    `  Platform       ${banner.platformUrl}`,
    `  Database       ${banner.database}`,
    ...(config.usingDevTokens
      ? ['  Dev tokens     storefront: dev_storefront_token  support: dev_support_token  admin: dev_admin_token']
      : []),
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
