/** What activities need, injected by the worker bootstrap (dependency injection, not globals). */
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { PlatformClient } from '../src/platform/client.js';

export interface ActivityDeps {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** A platform client tagging its calls with the given request id. */
  readonly platform: (requestId?: string) => PlatformClient;
  /** Temporal client, for activities that ask about other workflows (reconciliation). */
  readonly temporal?: Client;
  /** Prometheus metrics of this worker; absent = not measured. */
  readonly metrics?: Metrics;
}
