/**
 * `npm run dev`: everything on a laptop in one command. Starts, each only when not configured
 * from outside, the internal app's build (web/dist), a Temporal dev server (installing the CLI
 * into .tools/ on first use), platform-mock as its own process with its store under DATA_DIR,
 * an embedded PGlite database (migrated); then the worker and the API, as the production
 * entrypoints do (src/service.ts). Ctrl-C or SIGTERM stops all of it once, in order.
 *
 * Development only: the production entrypoints (src/main.ts) never import this folder.
 */
import path from 'node:path';
import { loadConfig } from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import { createLogger, describeFatal } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { Lifecycle, printBanner, startApi, startWorker } from '../service.js';
import { connectTemporal } from '../temporal/client.js';
import { openPglite } from './pglite.js';
import { startPlatformMockProcess } from './platform-mock.js';
import { buildWebApp, ensureTemporalCli } from './prerequisites.js';
import { startDevServer } from './temporal-server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const lifecycle = new Lifecycle(logger);
  lifecycle.stopOnSignals();

  // The web build (CPU) runs while the rest starts (mostly waiting on other processes).
  const web = buildWebApp(config);
  lifecycle.add('web build', () => web.stop());
  ensureTemporalCli(config, logger);

  const database: Database = config.databaseUrl
    ? await openDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax })
    : await openPglite(config.dataDir);
  lifecycle.add('database', () => database.close());
  await database.migrate();

  let address = config.temporal.address;
  let uiUrl = config.temporal.uiUrl ?? null;
  if (!address) {
    const server = await startDevServer({
      cliPath: config.temporal.cliPath,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      dbFile: path.resolve(config.dataDir, 'temporal.db'),
      namespace: config.temporal.namespace,
      detached: true,
      log: (line) => logger.info(line),
    });
    lifecycle.add('temporal dev server', () => server.stop());
    address = server.address;
    uiUrl ??= server.uiUrl;
  }
  const temporal = await connectTemporal(config, address, uiUrl);
  lifecycle.add('temporal client', () => temporal.close());

  let platformUrl = config.platform.url;
  if (!platformUrl) {
    const mock = await startPlatformMockProcess(config, logger);
    lifecycle.add('platform-mock', () => mock.stop());
    platformUrl = mock.url;
  }

  const parts = { config, logger, database, temporal, platformUrl, metrics: createMetrics() };
  await startWorker(parts, lifecycle);
  await web.done;
  await startApi(parts, lifecycle);
  printBanner({
    mode: 'dev',
    api: true,
    config,
    temporal,
    platformUrl,
    database:
      database.kind === 'pglite'
        ? `embedded PGlite in ${path.resolve(config.dataDir, 'pglite')}`
        : 'Postgres (DATABASE_URL)',
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${describeFatal(error)}\n`);
  process.exit(1);
});
