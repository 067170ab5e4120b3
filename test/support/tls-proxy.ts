/**
 * A TLS-only front for the run's plain-text Temporal dev server (whose CLI has no TLS
 * options): terminates TLS with a server certificate, requires a client certificate signed by
 * the test CA (mTLS), offers ALPN `h2` as gRPC needs, and pipes the decrypted stream to the
 * dev server's port. It counts the handshakes it accepted and refused.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface TlsProxy {
  readonly address: string;
  readonly port: number;
  /** Connections that completed the handshake with a valid client certificate. */
  authorized(): number;
  /** Handshakes refused (no client certificate, or one the CA did not sign, or not TLS at all). */
  refused(): number;
  close(): Promise<void>;
}

export async function startTlsProxy(options: {
  target: string;
  cert: string;
  key: string;
  clientCa: string;
}): Promise<TlsProxy> {
  const [targetHost, targetPort] = options.target.split(':');
  let authorized = 0;
  let refused = 0;
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ca: readFileSync(options.clientCa),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client: TLSSocket) => {
      authorized += 1;
      const upstream = netConnect({ host: targetHost, port: Number(targetPort) });
      sockets.add(client);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    },
  );
  server.on('tlsClientError', () => {
    refused += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    port,
    authorized: () => authorized,
    refused: () => refused,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
