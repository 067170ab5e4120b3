/**
 * The Temporal connection the code uses: `TEMPORAL_ADDRESS` when set (any cluster, or
 * Temporal Cloud), otherwise a local dev server started on the spot (src/temporal/dev-server.ts).
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import { startDevServer, type DevServer } from './dev-server.js';

export interface TemporalHandle {
  readonly client: Client;
  readonly connection: Connection;
  readonly address: string;
  readonly namespace: string;
  readonly uiUrl: string | null;
  /** Set when this process started the server; stopping the handle stops it. */
  readonly devServer: DevServer | null;
  close(): Promise<void>;
}

export async function connectTemporal(config: Config, log: (line: string) => void): Promise<TemporalHandle> {
  let devServer: DevServer | null = null;
  let address = config.temporal.address;
  if (!address) {
    devServer = await startDevServer({
      cliPath: config.temporal.cliPath,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      dbFile: path.resolve(config.dataDir, 'temporal.db'),
      namespace: config.temporal.namespace,
      log,
    });
    address = devServer.address;
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const server = devServer;
  return {
    client,
    connection,
    address,
    namespace: config.temporal.namespace,
    uiUrl: config.temporal.uiUrl ?? server?.uiUrl ?? null,
    devServer: server,
    close: async () => {
      await connection.close();
      await server?.stop();
    },
  };
}
