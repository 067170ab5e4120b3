/**
 * A second API process for a stack, on the same database, Temporal namespace, task queue and
 * platform, with configuration of its own: e.g. the service after API_TOKENS changed (a
 * support rep promoted to admin while their request waits for approval).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { platformClientFactory } from '../../src/platform/factory.js';
import type { TestStack } from './stack.js';

export interface SecondApi {
  readonly apiUrl: string;
  close(): Promise<void>;
}

export async function startSecondApi(stack: TestStack, env: Record<string, string>): Promise<SecondApi> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: stack.config.databaseUrl,
    TEMPORAL_ADDRESS: stack.config.temporal.address,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    PLATFORM_API_URL: stack.platformUrl,
    LOG_LEVEL: 'silent',
    APPROVAL_THRESHOLD: String(stack.config.approvals.threshold),
    APPROVAL_TTL_MS: String(stack.config.approvals.ttlMs),
    ...env,
  });
  const metrics = createMetrics();
  const platform = platformClientFactory(config, stack.platformUrl, (result) => metrics.platformCache.inc({ result }));
  const app = createApp({
    config,
    database: stack.database,
    logger: createLogger(config.logLevel),
    temporal: stack.temporal,
    platform,
    metrics,
    temporalUiUrl: 'http://127.0.0.1:8233',
    webDistDir: config.webDistDir,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
