/**
 * How the client and the worker reach Temporal: the same TLS settings and API key for both
 * (`Connection` and `NativeConnection` take the same `tls` and `apiKey` options). The files
 * were read and checked by `loadConfig`; this module only hands them to the SDK.
 */
import type { TLSConfig } from '@temporalio/client';

export interface TemporalTls {
  /** SNI and the name the server's certificate is checked against; default: the address's host. */
  readonly serverName: string | undefined;
  /** PEM of the CA that signed the server's certificate; default: the system's roots. */
  readonly ca: Buffer | undefined;
  /** mTLS: the client's certificate chain and private key (PEM). */
  readonly clientCert: { readonly crt: Buffer; readonly key: Buffer } | undefined;
}

export interface TemporalConnectionOptions {
  /** null: plain text (only allowed without an API key, e.g. a local dev server). */
  readonly tls: TemporalTls | null;
  /** Temporal Cloud API key, sent as `Authorization: Bearer …`; requires TLS. */
  readonly apiKey: string | undefined;
}

/** The SDK options for `Connection.connect` and `NativeConnection.connect`. */
export function nativeConnectionOptions(options: TemporalConnectionOptions | undefined): {
  tls?: TLSConfig;
  apiKey?: string;
} {
  if (!options?.tls) {
    // loadConfig refuses an API key without TLS; this is the last line of defence.
    if (options?.apiKey) throw new Error('A Temporal API key is never sent over plain text: TLS must be on');
    return {};
  }
  const { serverName, ca, clientCert } = options.tls;
  const tls: TLSConfig = {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(clientCert ? { clientCertPair: { crt: clientCert.crt, key: clientCert.key } } : {}),
  };
  return { tls, ...(options.apiKey ? { apiKey: options.apiKey } : {}) };
}

/** For start-up errors and logs: how the connection was made, never the secrets. */
export function describeConnection(options: TemporalConnectionOptions | undefined): string {
  if (!options?.tls) return 'plain text';
  const parts = ['TLS'];
  if (options.tls.clientCert) parts.push('client certificate');
  if (options.tls.ca) parts.push('own CA');
  if (options.tls.serverName) parts.push(`server name ${options.tls.serverName}`);
  if (options.apiKey) parts.push('API key');
  return parts.join(', ');
}
