/** What the HTTP layer needs from the rest of the service, passed in at assembly. */
import type { AppDeps } from '../app/deps.js';
import type { Metrics } from '../metrics.js';

export interface ApiDeps extends AppDeps {
  /** Base URL of the Temporal Web UI (links from the internal app), when known. */
  readonly temporalUiUrl: string | null;
  /** Folder of the built internal app (web/dist) to serve at `/`, when present. */
  readonly webDistDir?: string | null;
  /** Prometheus registry served at `/metrics`; absent = the app makes one of its own. */
  readonly metrics?: Metrics;
}
