/** What activities need, injected by the worker bootstrap (dependency injection, not globals). */
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import type { Logger } from '../src/logger.js';
import type { PlatformClient } from '../src/platform/client.js';

export interface ActivityDeps {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** A platform client tagging its calls with the given request id. */
  readonly platform: (requestId?: string) => PlatformClient;
}
