/**
 * The production entrypoints: `api` (the HTTP facade), `worker` (the Temporal worker) and
 * `migrate` (apply the migrations, then exit). Everything they talk to is configured from
 * outside (`DATABASE_URL`, `TEMPORAL_ADDRESS` with its TLS settings, `PLATFORM_API_URL`);
 * `npm run dev` (src/dev/main.ts) is the all-in-one that starts those for a laptop, and
 * nothing here imports it. Usage: tsx src/main.ts api|worker|migrate
 */
import { loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { createLogger, describeFatal } from './logger.js';
import { createMetrics, serveMetrics } from './metrics.js';
import { Lifecycle, printBanner, startApi, startWorker } from './service.js';
import { connectTemporal } from './temporal/client.js';

const MODES = ['api', 'worker', 'migrate'] as const;
type Mode = (typeof MODES)[number];

function modeOf(arg: string | undefined): Mode {
  const mode = MODES.find((m) => m === arg);
  if (!mode)
    throw new Error(
      `unknown mode "${arg ?? ''}": use ${MODES.join(', ')} (the all-in-one for development is \`npm run dev\`)`,
    );
  return mode;
}

async function main(): Promise<void> {
  const mode = modeOf(process.argv[2]);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const lifecycle = new Lifecycle(logger);
  lifecycle.stopOnSignals();

  const database = await openDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax });
  lifecycle.add('database', () => database.close());
  if (mode === 'migrate') {
    await database.migrate();
    logger.info('migrations applied');
    await lifecycle.stop();
    return;
  }
  // Outside production the entrypoints migrate on start; production runs `migrate` as a job.
  if (config.env !== 'production') await database.migrate();

  if (!config.temporal.address)
    throw new Error('TEMPORAL_ADDRESS must be set (only `npm run dev` starts a local Temporal dev server)');
  if (!config.platform.url) throw new Error('PLATFORM_API_URL must be set (only `npm run dev` starts platform-mock)');
  const temporal = await connectTemporal(config, config.temporal.address);
  lifecycle.add('temporal client', () => temporal.close());

  const parts = { config, logger, database, temporal, platformUrl: config.platform.url, metrics: createMetrics() };
  if (mode === 'worker') {
    await startWorker(parts, lifecycle);
    if (config.metrics.workerPort !== undefined) {
      lifecycle.add('worker metrics', await serveMetrics(parts.metrics, config.host, config.metrics.workerPort));
      logger.info({ port: config.metrics.workerPort }, 'worker metrics at /metrics');
    }
  } else {
    await startApi(parts, lifecycle);
  }
  printBanner({
    mode,
    api: mode === 'api',
    config,
    temporal,
    platformUrl: config.platform.url,
    database: 'Postgres (DATABASE_URL)',
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${describeFatal(error)}\n`);
  process.exit(1);
});
