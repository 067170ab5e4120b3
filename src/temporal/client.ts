/**
 * The Temporal client connection of the production entrypoints: `TEMPORAL_ADDRESS` (any
 * cluster, or Temporal Cloud) with the configured TLS and API key. `npm run dev` starts a
 * local dev server first (src/dev/) and connects through this same function.
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import { describeConnection, nativeConnectionOptions, type TemporalConnectionOptions } from './connection.js';

export interface TemporalHandle {
  readonly client: Client;
  readonly connection: Connection;
  readonly address: string;
  readonly namespace: string;
  /** TLS and API key, for the worker's own connection to the same endpoint. */
  readonly connectionOptions: TemporalConnectionOptions;
  readonly uiUrl: string | null;
  close(): Promise<void>;
}

/** The connection options of the configured endpoint (the worker uses the same). */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  return { tls: config.temporal.tls, apiKey: config.temporal.apiKey };
}

export async function connectTemporal(
  config: Config,
  address: string,
  uiUrl: string | null = config.temporal.uiUrl ?? null,
): Promise<TemporalHandle> {
  const connectionOptions = temporalConnectionOptions(config);
  const connection = await Connection.connect({ address, ...nativeConnectionOptions(connectionOptions) }).catch(
    (error: unknown) => {
      throw new Error(
        `cannot connect to Temporal at ${address} (${describeConnection(connectionOptions)}): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    },
  );
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    client,
    connection,
    address,
    namespace: config.temporal.namespace,
    connectionOptions,
    uiUrl,
    close: () => connection.close(),
  };
}
