/**
 * Temporal over mTLS, as a production deployment configures it (TEMPORAL_TLS_*): the run's dev
 * server is reachable here only through a TLS proxy that requires a client certificate (the
 * CLI's dev server has no TLS of its own). The API's client (in-process, from the config) and
 * the worker (the production entrypoint `src/main.ts worker`, as its own process) connect with
 * the test CA's certificates and a purchase completes through them. Settings that cannot work
 * stop the worker at start-up with a message that names the problem.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Purchase } from '../../src/contracts/index.js';
import { ping } from '../../workflows/index.js';
import { http, newKey } from '../support/http.js';
import { assertAllInvariants } from '../support/invariants.js';
import { PlatformControl } from '../support/platform.js';
import { startServiceProcess, type ServiceProcess } from '../support/processes.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';
import { makeCertificates, type TestCertificates } from '../support/tls.js';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy.js';

let certs: TestCertificates;
let proxy: TlsProxy;
let stack: TestStack;
let platform: PlatformControl;
const workers: ServiceProcess[] = [];
let tlsEnv: Record<string, string>;

beforeAll(async () => {
  certs = makeCertificates();
  proxy = await startTlsProxy({
    target: inject('temporalAddress'),
    cert: certs.serverCert,
    key: certs.serverKey,
    clientCa: certs.caCert,
  });
  tlsEnv = {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_CA_PATH: certs.caCert,
    // The proxy's certificate names localhost and 127.0.0.1; the SNI/verification name is set explicitly.
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
  stack = await startStack({ worker: false, env: tlsEnv });
  platform = new PlatformControl(stack.platformUrl);
});
afterEach(async () => {
  await assertAllInvariants(stack);
});
afterAll(async () => {
  for (const worker of workers) await worker.kill();
  await stack?.close();
  await proxy?.close();
  certs?.remove();
});

function workerEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    DATABASE_URL: stack.config.databaseUrl,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    PLATFORM_API_URL: stack.platformUrl,
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '0',
    ...tlsEnv,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Starts a worker process that must fail at start-up; resolves with its exit code and output. */
async function failedStart(
  overrides: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  const worker = startServiceProcess('worker', workerEnv(overrides));
  workers.push(worker);
  const code = await new Promise<number | null>((resolve) => worker.child.once('exit', (c) => resolve(c)));
  return { code, output: worker.output() };
}

describe('Temporal over mTLS', () => {
  it('the worker process and the API reach Temporal through the TLS-only endpoint, and a purchase completes', async () => {
    const worker = startServiceProcess('worker', workerEnv({}));
    workers.push(worker);
    // Ready when it has run a workflow end to end, over TLS on both sides.
    await stack.temporal.workflow.execute(ping, {
      taskQueue: stack.taskQueue,
      workflowId: `ping-${newKey()}`,
      args: ['tls?'],
      workflowExecutionTimeout: '60s',
    });

    const customerId = await platform.newCustomer();
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
          token: TOKENS.support,
          idempotencyKey: newKey(),
          body: { amount: 10_000, currency: 'USD', reason: 'goodwill' },
        })
      ).status,
    ).toBe(201);
    const res = await http<Purchase>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('tls'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ customerId, status: 'completed', total: 2999 });
    const described = await stack.temporal.workflow.getHandle(res.body.workflowId).describe();
    expect(described.status.name).toBe('COMPLETED');
    // The client and the worker (its own connection) each completed an mTLS handshake.
    expect(proxy.authorized()).toBeGreaterThanOrEqual(2);
    await worker.kill('SIGTERM');
    expect(worker.output()).not.toMatch(/"level":(50|60)/);
  }, 180_000);

  it('a TLS setting that cannot work stops the worker at start-up, saying why', async () => {
    const refusedBefore = proxy.refused();
    // Four worker processes at once (each start costs seconds of tsx and SDK loading).
    const [keyOnly, unreadable, noClientCert, wrongCa] = await Promise.all([
      failedStart({ TEMPORAL_TLS_CERT_PATH: undefined }),
      failedStart({ TEMPORAL_TLS_CA_PATH: `${certs.dir}/missing-ca.crt` }),
      // No client certificate: the endpoint refuses the handshake.
      failedStart({ TEMPORAL_TLS_CERT_PATH: undefined, TEMPORAL_TLS_KEY_PATH: undefined }),
      // A CA that did not sign the endpoint's certificate: the worker refuses the endpoint.
      failedStart({ TEMPORAL_TLS_CA_PATH: certs.otherCaCert }),
    ]);
    expect(keyOnly.code).toBe(1);
    expect(keyOnly.output).toContain('TEMPORAL_TLS_KEY_PATH is set without TEMPORAL_TLS_CERT_PATH: mTLS needs both');
    expect(unreadable.code).toBe(1);
    expect(unreadable.output).toContain(`TEMPORAL_TLS_CA_PATH: cannot read ${certs.dir}/missing-ca.crt (ENOENT)`);
    expect(noClientCert.code).toBe(1);
    expect(noClientCert.output).toContain(
      `fatal: Error: cannot connect to Temporal at ${proxy.address} (TLS, own CA, server name localhost):`,
    );
    expect(proxy.refused()).toBeGreaterThan(refusedBefore);
    expect(wrongCa.code).toBe(1);
    expect(wrongCa.output).toContain(
      `fatal: Error: cannot connect to Temporal at ${proxy.address} (TLS, client certificate, own CA, server name localhost):`,
    );
  }, 180_000);
});
