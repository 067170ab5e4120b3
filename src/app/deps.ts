/** What the use cases need from the rest of the service, passed in at assembly (HTTP or not). */
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { PlatformClient } from '../platform/client.js';
import type { PurchaseAdmission } from './admission.js';

export interface AppDeps {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** A platform client that tags its calls with the request id. */
  readonly platform: (requestId: string) => PlatformClient;
  readonly temporal: Client;
  /** Admission control of new purchases (`src/app/admission.ts`); absent = every purchase is admitted. */
  readonly admission?: PurchaseAdmission;
}

/** Who asks, and under which request id: recorded on every change a use case makes. */
export interface Actor {
  readonly name: string;
  readonly requestId: string;
}
