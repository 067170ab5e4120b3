/**
 * CLI entry: `npm run platform-mock`. Reads PLATFORM_PORT (default 4010), PLATFORM_HOST
 * (default 127.0.0.1), PLATFORM_LATENCY_MS (default 0) and PLATFORM_DATA_FILE (a JSON file
 * that keeps the store across restarts; default: memory only); stops on SIGTERM or SIGINT.
 * platform-mock is a separate process with its own settings, so it reads its environment
 * here rather than through the service's config module.
 */
import { startPlatformMock } from './server.js';

function intFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} must be an integer from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

const port = intFromEnv('PLATFORM_PORT', 4010, 65_535);
const host = process.env.PLATFORM_HOST?.trim() || '127.0.0.1';
const latencyMs = intFromEnv('PLATFORM_LATENCY_MS', 0, 600_000);
const dataFile = process.env.PLATFORM_DATA_FILE?.trim() || undefined;

const mock = await startPlatformMock({ port, host, latencyMs, ...(dataFile !== undefined && { dataFile }) });
console.log(
  `platform-mock listening on ${mock.url}${latencyMs > 0 ? ` (latency ${latencyMs} ms)` : ''}${dataFile ? ` (store in ${dataFile})` : ''}`,
);

async function stop(signal: NodeJS.Signals): Promise<void> {
  try {
    await mock.close();
    console.log(`platform-mock stopped (${signal})`);
  } catch (error) {
    console.error('platform-mock: error while stopping', error);
    process.exitCode = 1;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, (received) => {
    void stop(received);
  });
}
