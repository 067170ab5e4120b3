/** What the HTTP layer needs from the rest of the service, passed in at assembly. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PlatformClient } from '../platform/client.js';

export interface ApiDeps {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** A platform client that tags its calls with the request id. */
  readonly platform: (requestId: string) => PlatformClient;
  readonly temporal: Client;
  /** Base URL of the Temporal Web UI (links from the internal app), when known. */
  readonly temporalUiUrl: string | null;
  /** Folder of the built internal app (web/dist) to serve at `/`, when present. */
  readonly webDistDir?: string | null;
  /** Prometheus registry served at `/metrics`; absent = the app makes one of its own. */
  readonly metrics?: Metrics;
}
