/** The configuration's security rules: production refuses the development tokens and weak ones. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from '../test/support/tls.js';
import { DEV_API_TOKENS, loadConfig } from './config.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://ledger@db.internal:5432/ledger',
  API_TOKENS: 'web:storefront:0f3a9c1e7b2d4f6a8c0e1b3d5f7a9c1e,root:admin:9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
};

describe('loadConfig', () => {
  it('webhooks: 24 h budget, 10 s attempts; http URLs only outside production unless allowed', () => {
    const prod = loadConfig(PRODUCTION);
    expect(prod.webhooks).toMatchObject({
      retryBudgetMs: 24 * 3_600_000,
      retryInitialMs: 5_000,
      retryMaxIntervalMs: 3_600_000,
      timeoutMs: 10_000,
      secretOverlapMs: 24 * 3_600_000,
      allowHttp: false,
    });
    expect(loadConfig({ ...PRODUCTION, WEBHOOK_ALLOW_HTTP: 'true' }).webhooks.allowHttp).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).webhooks.allowHttp).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOW_HTTP: 'false' }).webhooks.allowHttp).toBe(false);
  });

  it('development without API_TOKENS uses the documented development tokens', () => {
    const config = loadConfig({});
    expect(config.usingDevTokens).toBe(true);
    expect(config.tokens.map((t) => t.token)).toEqual(['dev_storefront_token', 'dev_support_token', 'dev_admin_token']);
  });

  it('production with proper tokens and a database starts', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.usingDevTokens).toBe(false);
    expect(config.tokens.map((t) => `${t.name}:${t.role}`)).toEqual(['web:storefront', 'root:admin']);
  });

  it('production refuses to start without API_TOKENS', () => {
    expect(() => loadConfig({ ...PRODUCTION, API_TOKENS: undefined })).toThrow(/API_TOKENS must be set in production/);
    expect(() => loadConfig({ ...PRODUCTION, API_TOKENS: '' })).toThrow(/API_TOKENS must be set in production/);
  });

  it('production refuses the development tokens, all of them or one among others', () => {
    expect(() => loadConfig({ ...PRODUCTION, API_TOKENS: DEV_API_TOKENS })).toThrow(/development tokens/);
    expect(() =>
      loadConfig({ ...PRODUCTION, API_TOKENS: `${PRODUCTION.API_TOKENS},ops:support:dev_support_token` }),
    ).toThrow(/development tokens/);
    // The same development secret under another name is still the development secret.
    expect(() => loadConfig({ ...PRODUCTION, API_TOKENS: 'shop:storefront:dev_storefront_token' })).toThrow(
      /development tokens/,
    );
  });

  it('production refuses short tokens', () => {
    expect(() => loadConfig({ ...PRODUCTION, API_TOKENS: 'web:storefront:short123' })).toThrow(
      /at least 16 characters/,
    );
  });

  it('production refuses to start without DATABASE_URL', () => {
    expect(() => loadConfig({ ...PRODUCTION, DATABASE_URL: undefined })).toThrow(
      /DATABASE_URL must be set in production/,
    );
  });

  it('refuses malformed, duplicated or shared tokens in any environment', () => {
    expect(() => loadConfig({ API_TOKENS: 'web:superuser:abcdefgh12' })).toThrow(/name:role:token/);
    expect(() => loadConfig({ API_TOKENS: 'web:storefront:short' })).toThrow(/8\+ characters/);
    expect(() => loadConfig({ API_TOKENS: 'web:storefront:abcdefgh12,web:admin:ijklmnop34' })).toThrow(
      /names must be unique/,
    );
    expect(() => loadConfig({ API_TOKENS: 'web:storefront:abcdefgh12,root:admin:abcdefgh12' })).toThrow(
      /each token must be different/,
    );
  });

  it('never puts a token into an error message', () => {
    let message = '';
    try {
      loadConfig({ API_TOKENS: 'web:superuser:s3cr3t-value-xyz' });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toMatch(/API_TOKENS/);
    expect(message).not.toContain('s3cr3t-value-xyz');
  });

  it('limits money-moving requests to 12000 per token per minute by default; 0 turns the limit off', () => {
    expect(loadConfig({}).rateLimitMoneyPerMinute).toBe(12_000);
    expect(loadConfig({ RATE_LIMIT_MONEY_PER_MINUTE: '0' }).rateLimitMoneyPerMinute).toBe(0);
    expect(() => loadConfig({ RATE_LIMIT_MONEY_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_MONEY_PER_MINUTE/);
  });
});

describe('admission control of purchases', () => {
  it('bounds purchases in flight at 50 by default (fixed: no latency target), samples every 250 ms, and says Retry-After: 1', () => {
    expect(loadConfig({}).admission).toEqual({
      maxInFlight: 50,
      maxBacklogAgeMs: 0,
      targetMs: 0,
      sampleMs: 250,
      retryAfterSeconds: 1,
    });
  });

  it('0 turns a bound off; both 0 turn admission control off', () => {
    const config = loadConfig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '0', PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS: '0' });
    expect(config.admission).toMatchObject({ maxInFlight: 0, maxBacklogAgeMs: 0 });
    expect(loadConfig({ PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS: '2000' }).admission.maxBacklogAgeMs).toBe(2000);
  });

  it('refuses negative bounds, a sample interval outside 10 ms–10 s and a Retry-After outside 1–300 s', () => {
    expect(() => loadConfig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '-1' })).toThrow(/PURCHASE_ADMISSION_MAX_IN_FLIGHT/);
    expect(() => loadConfig({ PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS: 'soon' })).toThrow(
      /PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS/,
    );
    expect(() => loadConfig({ PURCHASE_ADMISSION_SAMPLE_MS: '5' })).toThrow(/PURCHASE_ADMISSION_SAMPLE_MS/);
    expect(() => loadConfig({ PURCHASE_ADMISSION_SAMPLE_MS: '60000' })).toThrow(/PURCHASE_ADMISSION_SAMPLE_MS/);
    expect(() => loadConfig({ PURCHASE_ADMISSION_RETRY_AFTER_S: '0' })).toThrow(/PURCHASE_ADMISSION_RETRY_AFTER_S/);
  });
});

describe('Temporal TLS and API key', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());

  const CLUSTER = { TEMPORAL_ADDRESS: 'temporal.internal:7233' };

  it('is plain text by default (a local dev server or a cluster without TLS)', () => {
    expect(loadConfig({}).temporal.tls).toBeNull();
    expect(loadConfig(CLUSTER).temporal.tls).toBeNull();
  });

  it('mTLS: reads the client certificate, its key and the CA, and the server name', () => {
    const config = loadConfig({
      ...CLUSTER,
      TEMPORAL_TLS_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_KEY_PATH: certs.clientKey,
      TEMPORAL_TLS_CA_PATH: certs.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
    });
    const tls = config.temporal.tls;
    expect(tls?.serverName).toBe('temporal.example');
    expect(tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.clientCert?.crt.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.clientCert?.key.toString()).toContain('PRIVATE KEY');
  });

  it('an API key (Temporal Cloud) turns TLS on with the system roots; it is never sent in plain text', () => {
    const config = loadConfig({ ...CLUSTER, TEMPORAL_API_KEY: 'cloud-key-123' });
    expect(config.temporal.apiKey).toBe('cloud-key-123');
    expect(config.temporal.tls).toEqual({ serverName: undefined, ca: undefined, clientCert: undefined });
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_API_KEY: 'cloud-key-123', TEMPORAL_TLS: 'false' })).toThrow(
      /TEMPORAL_API_KEY is never sent over plain text/,
    );
    expect(loadConfig({ ...CLUSTER, TEMPORAL_TLS: 'true' }).temporal.tls).not.toBeNull();
  });

  it('refuses a key without a certificate, and a certificate without a key', () => {
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_TLS_KEY_PATH: certs.clientKey })).toThrow(
      /TEMPORAL_TLS_KEY_PATH is set without TEMPORAL_TLS_CERT_PATH/,
    );
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_TLS_CERT_PATH: certs.clientCert })).toThrow(
      /TEMPORAL_TLS_CERT_PATH is set without TEMPORAL_TLS_KEY_PATH/,
    );
  });

  it("refuses unreadable files, files that are not PEM, and a key that is not the certificate's, naming the variable", () => {
    const missing = path.join(certs.dir, 'nope.crt');
    expect(() =>
      loadConfig({ ...CLUSTER, TEMPORAL_TLS_CERT_PATH: missing, TEMPORAL_TLS_KEY_PATH: certs.clientKey }),
    ).toThrow(`TEMPORAL_TLS_CERT_PATH: cannot read ${missing} (ENOENT)`);
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_TLS_CA_PATH: certs.dir })).toThrow(
      `TEMPORAL_TLS_CA_PATH: cannot read ${certs.dir} (EISDIR)`,
    );
    const garbage = path.join(certs.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_TLS_CA_PATH: garbage })).toThrow(
      `TEMPORAL_TLS_CA_PATH: ${garbage} is not a PEM certificate`,
    );
    expect(() =>
      loadConfig({ ...CLUSTER, TEMPORAL_TLS_CERT_PATH: certs.clientCert, TEMPORAL_TLS_KEY_PATH: garbage }),
    ).toThrow(`TEMPORAL_TLS_KEY_PATH: ${garbage} is not a PEM private key`);
    expect(() =>
      loadConfig({ ...CLUSTER, TEMPORAL_TLS_CERT_PATH: certs.clientCert, TEMPORAL_TLS_KEY_PATH: certs.serverKey }),
    ).toThrow(
      `TEMPORAL_TLS_KEY_PATH: ${certs.serverKey} is not the private key of the certificate in ${certs.clientCert}`,
    );
  });

  it('refuses TLS settings without TEMPORAL_ADDRESS (the local dev server is plain text) and contradictions', () => {
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'cloud-key-123' })).toThrow(/need TEMPORAL_ADDRESS/);
    expect(() => loadConfig({ TEMPORAL_TLS_CA_PATH: certs.caCert })).toThrow(/need TEMPORAL_ADDRESS/);
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_PATH: certs.caCert })).toThrow(
      /TEMPORAL_TLS=false contradicts/,
    );
    expect(() => loadConfig({ ...CLUSTER, TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS/);
  });
});
