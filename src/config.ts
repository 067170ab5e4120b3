/**
 * Every setting of the service, read from the environment once and validated with zod.
 * No other module reads `process.env`; entrypoints and tests pass a `Config` around.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { TemporalTls } from './temporal/connection.js';

export type Role = 'storefront' | 'support' | 'admin';

export interface ApiToken {
  /** Recorded as the actor of every change made with the token. */
  readonly name: string;
  readonly role: Role;
  readonly token: string;
}

/** `keyId:secret` (secret of 32+ characters) → the checkpoint key; unset or empty → none. */
function parseCheckpointKey(raw: string | undefined): { id: string; secret: string } | null {
  if (raw === undefined || raw.trim() === '') return null;
  const at = raw.indexOf(':');
  const id = at > 0 ? raw.slice(0, at) : '';
  const secret = at > 0 ? raw.slice(at + 1) : '';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id) || secret.length < 32) {
    throw new Error(
      'LEDGER_CHECKPOINT_KEY must be keyId:secret with a key id of letters, digits, _.- and a secret of 32+ characters (e.g. k1:$(openssl rand -hex 32))',
    );
  }
  return { id, secret };
}

/** Documented development tokens; production refuses to start with these. */
export const DEV_API_TOKENS =
  'web:storefront:dev_storefront_token,alice:support:dev_support_token,root:admin:dev_admin_token';

/** Production tokens are secrets, not passwords: long enough that guessing is hopeless. */
export const MIN_PRODUCTION_TOKEN_LENGTH = 16;

const RoleSchema = z.enum(['storefront', 'support', 'admin']);

function parseTokens(raw: string): ApiToken[] {
  const tokens = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const [name, role, ...rest] = part.split(':');
      const token = rest.join(':');
      const parsedRole = RoleSchema.safeParse(role);
      if (!name || !parsedRole.success || token.length < 8) {
        throw new Error(
          `API_TOKENS: entry "${name ?? '?'}:${role ?? '?'}:…" must be name:role:token with role in storefront|support|admin and a token of 8+ characters`,
        );
      }
      return { name, role: parsedRole.data, token };
    });
  const names = new Set(tokens.map((t) => t.name));
  if (names.size !== tokens.length)
    throw new Error('API_TOKENS: token names must be unique (they are the recorded actor)');
  // One secret for two names would make the recorded actor (and the role) ambiguous.
  if (new Set(tokens.map((t) => t.token)).size !== tokens.length)
    throw new Error('API_TOKENS: each token must be different');
  return tokens;
}

const intFromEnv = (fallback: number): z.ZodType<number> =>
  z.preprocess((v) => (v === undefined || v === '' ? fallback : Number(v)), z.number().int().nonnegative());

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: intFromEnv(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_MAX: intFromEnv(10),
  DATA_DIR: z.string().default('.data'),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('purchases'),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_DEV_PORT: intFromEnv(7233),
  TEMPORAL_UI_PORT: intFromEnv(8233),
  TEMPORAL_UI_URL: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  PLATFORM_API_URL: z.string().url().optional(),
  PLATFORM_PORT: intFromEnv(4010),
  PLATFORM_TIMEOUT_MS: intFromEnv(3000),
  PLATFORM_CACHE_MAX_ENTRIES: intFromEnv(10_000),
  PLATFORM_CACHE_TTL_MS: intFromEnv(30_000),
  PLATFORM_CACHE_STALE_IF_ERROR_MS: intFromEnv(300_000),
  API_TOKENS: z.string().optional(),
  PURCHASE_SYNC_TIMEOUT_MS: intFromEnv(10_000),
  SHIPMENT_RETRY_BUDGET_MS: intFromEnv(60_000),
  PURCHASE_ADMISSION_MAX_IN_FLIGHT: intFromEnv(50),
  PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS: intFromEnv(0),
  PURCHASE_ADMISSION_TARGET_MS: intFromEnv(0),
  PURCHASE_ADMISSION_SAMPLE_MS: z.preprocess(
    (v) => (v === undefined || v === '' ? 250 : Number(v)),
    z.number().int().min(10).max(10_000),
  ),
  PURCHASE_ADMISSION_RETRY_AFTER_S: z.preprocess(
    (v) => (v === undefined || v === '' ? 1 : Number(v)),
    z.number().int().min(1).max(300),
  ),
  MAX_GRANT_AMOUNT: intFromEnv(100_000_000),
  APPROVAL_THRESHOLD: intFromEnv(50_000),
  APPROVAL_TTL_MS: intFromEnv(72 * 60 * 60_000),
  RATE_LIMIT_MONEY_PER_MINUTE: intFromEnv(12_000),
  WEB_DIST_DIR: z.string().optional(),
  DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('USD'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RECONCILE_INTERVAL_MS: intFromEnv(15 * 60_000),
  RECONCILE_SCHEDULE_ID: z.string().min(1).default('reconcile-ledger'),
  RECONCILE_HOLD_AGE_MS: intFromEnv(15 * 60_000),
  RECONCILE_BATCH_SIZE: intFromEnv(500),
  RECONCILE_PLATFORM_CONCURRENCY: intFromEnv(8),
  RECONCILE_SHIPMENT_LOOKBACK_MS: intFromEnv(0),
  RECONCILE_FAILED_ATTEMPT_LOOKBACK_MS: intFromEnv(7 * 24 * 60 * 60_000),
  LEDGER_CHECKPOINT_KEY: z.string().optional(),
  TEMPORAL_METRICS_PORT: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number().int().min(1).max(65535).optional(),
  ),
  WORKER_METRICS_PORT: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number().int().min(1).max(65535).optional(),
  ),
  SHUTDOWN_TIMEOUT_MS: intFromEnv(25_000),
  WEBHOOK_RETRY_BUDGET_MS: intFromEnv(24 * 60 * 60_000),
  WEBHOOK_RETRY_INITIAL_MS: intFromEnv(5_000),
  WEBHOOK_RETRY_MAX_INTERVAL_MS: intFromEnv(60 * 60_000),
  WEBHOOK_TIMEOUT_MS: intFromEnv(10_000),
  WEBHOOK_POLL_INTERVAL_MS: intFromEnv(60_000),
  WEBHOOK_SWEEP_INTERVAL_MS: intFromEnv(60_000),
  WEBHOOK_SECRET_OVERLAP_MS: intFromEnv(24 * 60 * 60_000),
  WEBHOOK_ALLOW_HTTP: z.enum(['true', 'false']).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number().int().min(1).max(100_000).optional(),
  ),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number().int().min(1).max(100_000).optional(),
  ),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number().int().min(1).max(100_000).optional(),
  ),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number().int().min(1).max(100_000).optional(),
  ),
});

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly port: number;
  readonly host: string;
  /** Unset: an embedded PGlite database under `dataDir` (development only). */
  readonly databaseUrl: string | undefined;
  readonly databasePoolMax: number;
  readonly dataDir: string;
  readonly temporal: {
    /** Unset: a local dev server is started. */
    readonly address: string | undefined;
    readonly namespace: string;
    readonly taskQueue: string;
    readonly cliPath: string | undefined;
    readonly devPort: number;
    readonly uiPort: number;
    /** Base URL of the Temporal Web UI, for links from the API and the internal app. */
    readonly uiUrl: string | undefined;
    /** TLS towards `address` (client and worker alike); null: plain text. */
    readonly tls: TemporalTls | null;
    /** Temporal Cloud API key (sent as a bearer token; TLS is then always on). */
    readonly apiKey: string | undefined;
  };
  readonly platform: {
    /** Unset: platform-mock is started on `port`. */
    readonly url: string | undefined;
    readonly port: number;
    readonly timeoutMs: number;
    /** Cache of platform reads for views (never for money); maxEntries 0 turns it off. */
    readonly cache: { readonly maxEntries: number; readonly ttlMs: number; readonly staleIfErrorMs: number };
  };
  readonly tokens: readonly ApiToken[];
  /** True when API_TOKENS is unset and the documented development tokens are in force. */
  readonly usingDevTokens: boolean;
  readonly purchaseSyncTimeoutMs: number;
  /** Total time CreateShipment may be retried before the purchase is compensated. */
  readonly shipmentRetryBudgetMs: number;
  /**
   * Admission control of `POST /v1/purchases`: over either bound a new purchase is refused with
   * 503 `overloaded` and `Retry-After` before its key is claimed. Both bounds 0 = off.
   */
  readonly admission: {
    /** Purchase attempts still pending (sagas running), across every API process; 0 = not checked. */
    readonly maxInFlight: number;
    /** Age of the oldest workflow task waiting in the task queue (schedule-to-start), in ms; 0 = not checked. */
    readonly maxBacklogAgeMs: number;
    /**
     * Latency target of admitted purchases (the 90th percentile of the time from admission to
     * the saga's answer): while it is exceeded each process lowers its own bound of purchases
     * in flight below `maxInFlight`, and raises it back while it is met; 0 = the fixed bound.
     */
    readonly targetMs: number;
    /** How long one process reuses a sample of the signals before it asks again. */
    readonly sampleMs: number;
    /** The `Retry-After` of a refusal, in seconds. */
    readonly retryAfterSeconds: number;
  };
  readonly maxGrantAmount: number;
  /** Maker–checker for large support grants and deductions. */
  readonly approvals: {
    /** A support grant or deduction of at least this many minor units waits for an admin; 0 = off. */
    readonly threshold: number;
    /** An approval nobody decides within this long expires. */
    readonly ttlMs: number;
  };
  /** Money-moving requests (purchases, refunds, grants, deductions) per token name per minute; 0 = no limit. */
  readonly rateLimitMoneyPerMinute: number;
  /** Currency shown for a customer with no account yet; an account takes its first movement's currency. */
  readonly defaultCurrency: string;
  /** The built internal app served at `/` (default web/dist of this repository). */
  readonly webDistDir: string;
  readonly logLevel: string;
  /**
   * HMAC key of the signed hash-chain checkpoints reconciliation records (`keyId:secret`);
   * null: no checkpoints are written and their signatures are not checked.
   */
  readonly ledgerCheckpointKey: { readonly id: string; readonly secret: string } | null;
  readonly reconcile: {
    /** How often the `reconcile-ledger` Temporal Schedule runs; 0 = no schedule is created. */
    readonly intervalMs: number;
    readonly scheduleId: string;
    /** A pending hold older than this whose purchase workflow is closed is released. */
    readonly holdAgeMs: number;
    /** Accounts checked per activity (keyset batch). */
    readonly batchSize: number;
    /** Concurrent shipment look-ups against the platform per batch. */
    readonly platformConcurrency: number;
    /** Only purchases younger than this are looked up on the platform; 0 = all of them. */
    readonly shipmentLookbackMs: number;
    /**
     * Failed purchase attempts created within this window that got as far as shipping are
     * looked up on the platform, and a live shipment of theirs is cancelled; 0 = off.
     */
    readonly failedAttemptLookbackMs: number;
  };
  readonly metrics: {
    /** Port of the Temporal SDK's own Prometheus exporter (worker metrics); unset = off. */
    readonly temporalPort: number | undefined;
    /** Port of a `/metrics` endpoint in `worker` mode (the API serves its own); unset = off. */
    readonly workerPort: number | undefined;
  };
  /** How long SIGTERM waits for in-flight requests and activities before closing anyway. */
  readonly shutdownTimeoutMs: number;
  /** Webhook delivery (src/app/webhooks.ts, workflows/webhook.ts). */
  readonly webhooks: {
    /** An event is retried for at least this long before its endpoint is disabled (24 h). */
    readonly retryBudgetMs: number;
    /** First retry interval; doubles up to `retryMaxIntervalMs`. */
    readonly retryInitialMs: number;
    readonly retryMaxIntervalMs: number;
    /** One delivery attempt: a 2xx within this long is a success (10 s). */
    readonly timeoutMs: number;
    /** An idle delivery workflow looks for new events at least this often (a lost wake-up costs at most this). */
    readonly pollIntervalMs: number;
    /** The worker's dispatcher makes sure every enabled endpoint has its workflow this often; 0 = off. */
    readonly sweepIntervalMs: number;
    /** After a rotation the previous secret still signs for this long. */
    readonly secretOverlapMs: number;
    /** Endpoint URLs may be http:// (not only https://): default true except in production. */
    readonly allowHttp: boolean;
  };
  /** Worker options; unset = the SDK's defaults (which the benchmark found as good as any here). */
  readonly worker: {
    readonly maxCachedWorkflows: number | undefined;
    readonly maxConcurrentWorkflowTaskExecutions: number | undefined;
    readonly maxConcurrentActivityTaskExecutions: number | undefined;
    readonly maxConcurrentLocalActivityExecutions: number | undefined;
  };
}

type TemporalEnv = Pick<
  z.infer<typeof EnvSchema>,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new Error(`${variable}: cannot read ${file} (${reason})`);
  }
}

function certificate(variable: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${variable}: ${file} is not a PEM certificate`);
  }
}

/**
 * TLS towards Temporal, read and checked at start-up so that a wrong path, a key that does
 * not belong to its certificate or an API key without TLS stops the process with a message
 * that names the variable, instead of a plain-text connection or a handshake error later.
 */
function temporalTls(e: TemporalEnv): TemporalTls | null {
  const {
    TEMPORAL_TLS_CERT_PATH: certPath,
    TEMPORAL_TLS_KEY_PATH: keyPath,
    TEMPORAL_TLS_CA_PATH: caPath,
    TEMPORAL_TLS_SERVER_NAME: serverName,
  } = e;
  const anyTls = Boolean(certPath || keyPath || caPath || serverName);
  if ((anyTls || e.TEMPORAL_API_KEY || e.TEMPORAL_TLS === 'true') && !e.TEMPORAL_ADDRESS) {
    throw new Error(
      'TEMPORAL_TLS_*, TEMPORAL_API_KEY and TEMPORAL_TLS need TEMPORAL_ADDRESS (without it a local plain-text dev server is started)',
    );
  }
  if (keyPath && !certPath)
    throw new Error('TEMPORAL_TLS_KEY_PATH is set without TEMPORAL_TLS_CERT_PATH: mTLS needs both');
  if (certPath && !keyPath)
    throw new Error('TEMPORAL_TLS_CERT_PATH is set without TEMPORAL_TLS_KEY_PATH: mTLS needs both');
  if (e.TEMPORAL_TLS === 'false') {
    if (anyTls) throw new Error('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* settings');
    if (e.TEMPORAL_API_KEY)
      throw new Error('TEMPORAL_API_KEY is never sent over plain text: remove TEMPORAL_TLS=false');
    return null;
  }
  if (!anyTls && !e.TEMPORAL_API_KEY && e.TEMPORAL_TLS !== 'true') return null;

  let clientCert: TemporalTls['clientCert'];
  if (certPath && keyPath) {
    const crt = readPem('TEMPORAL_TLS_CERT_PATH', certPath);
    const key = readPem('TEMPORAL_TLS_KEY_PATH', keyPath);
    const x509 = certificate('TEMPORAL_TLS_CERT_PATH', certPath, crt);
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      throw new Error(`TEMPORAL_TLS_KEY_PATH: ${keyPath} is not a PEM private key`);
    }
    if (!x509.checkPrivateKey(privateKey))
      throw new Error(`TEMPORAL_TLS_KEY_PATH: ${keyPath} is not the private key of the certificate in ${certPath}`);
    clientCert = { crt, key };
  }
  let ca: Buffer | undefined;
  if (caPath) {
    ca = readPem('TEMPORAL_TLS_CA_PATH', caPath);
    certificate('TEMPORAL_TLS_CA_PATH', caPath, ca);
  }
  return { serverName, ca, clientCert };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${issues}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production') {
    if (!e.API_TOKENS) throw new Error('API_TOKENS must be set in production');
    const devTokens = new Set(parseTokens(DEV_API_TOKENS).map((t) => t.token));
    if (parseTokens(e.API_TOKENS).some((t) => devTokens.has(t.token) || t.token.startsWith('dev_'))) {
      throw new Error('API_TOKENS must not contain the development tokens in production');
    }
    if (parseTokens(e.API_TOKENS).some((t) => t.token.length < MIN_PRODUCTION_TOKEN_LENGTH)) {
      throw new Error(
        `API_TOKENS: production tokens must be at least ${MIN_PRODUCTION_TOKEN_LENGTH} characters (random, e.g. openssl rand -hex 24)`,
      );
    }
    if (!e.DATABASE_URL) throw new Error('DATABASE_URL must be set in production');
  }
  const tokens = parseTokens(e.API_TOKENS ?? DEV_API_TOKENS);
  if (e.PURCHASE_ADMISSION_TARGET_MS > 0 && e.PURCHASE_ADMISSION_MAX_IN_FLIGHT === 0)
    throw new Error(
      'PURCHASE_ADMISSION_TARGET_MS lowers the bound of PURCHASE_ADMISSION_MAX_IN_FLIGHT: set that bound too (it is 0, off)',
    );
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL,
      tls: temporalTls(e),
      apiKey: e.TEMPORAL_API_KEY,
    },
    platform: {
      url: e.PLATFORM_API_URL,
      port: e.PLATFORM_PORT,
      timeoutMs: e.PLATFORM_TIMEOUT_MS,
      cache: {
        maxEntries: e.PLATFORM_CACHE_MAX_ENTRIES,
        ttlMs: e.PLATFORM_CACHE_TTL_MS,
        staleIfErrorMs: e.PLATFORM_CACHE_STALE_IF_ERROR_MS,
      },
    },
    tokens,
    usingDevTokens: !e.API_TOKENS,
    purchaseSyncTimeoutMs: e.PURCHASE_SYNC_TIMEOUT_MS,
    shipmentRetryBudgetMs: e.SHIPMENT_RETRY_BUDGET_MS,
    admission: {
      maxInFlight: e.PURCHASE_ADMISSION_MAX_IN_FLIGHT,
      maxBacklogAgeMs: e.PURCHASE_ADMISSION_MAX_BACKLOG_AGE_MS,
      targetMs: e.PURCHASE_ADMISSION_TARGET_MS,
      sampleMs: e.PURCHASE_ADMISSION_SAMPLE_MS,
      retryAfterSeconds: e.PURCHASE_ADMISSION_RETRY_AFTER_S,
    },
    maxGrantAmount: e.MAX_GRANT_AMOUNT,
    approvals: { threshold: e.APPROVAL_THRESHOLD, ttlMs: Math.max(1, e.APPROVAL_TTL_MS) },
    rateLimitMoneyPerMinute: e.RATE_LIMIT_MONEY_PER_MINUTE,
    defaultCurrency: e.DEFAULT_CURRENCY,
    webDistDir: e.WEB_DIST_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist'),
    logLevel: e.LOG_LEVEL,
    ledgerCheckpointKey: parseCheckpointKey(e.LEDGER_CHECKPOINT_KEY),
    reconcile: {
      intervalMs: e.RECONCILE_INTERVAL_MS,
      scheduleId: e.RECONCILE_SCHEDULE_ID,
      holdAgeMs: e.RECONCILE_HOLD_AGE_MS,
      batchSize: Math.max(1, e.RECONCILE_BATCH_SIZE),
      platformConcurrency: Math.max(1, e.RECONCILE_PLATFORM_CONCURRENCY),
      shipmentLookbackMs: e.RECONCILE_SHIPMENT_LOOKBACK_MS,
      failedAttemptLookbackMs: e.RECONCILE_FAILED_ATTEMPT_LOOKBACK_MS,
    },
    worker: {
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentLocalActivityExecutions: e.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    },
    metrics: { temporalPort: e.TEMPORAL_METRICS_PORT, workerPort: e.WORKER_METRICS_PORT },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    webhooks: {
      retryBudgetMs: Math.max(1, e.WEBHOOK_RETRY_BUDGET_MS),
      retryInitialMs: Math.max(1, e.WEBHOOK_RETRY_INITIAL_MS),
      retryMaxIntervalMs: Math.max(1, e.WEBHOOK_RETRY_MAX_INTERVAL_MS),
      timeoutMs: Math.max(1, e.WEBHOOK_TIMEOUT_MS),
      pollIntervalMs: Math.max(100, e.WEBHOOK_POLL_INTERVAL_MS),
      sweepIntervalMs: e.WEBHOOK_SWEEP_INTERVAL_MS,
      secretOverlapMs: e.WEBHOOK_SECRET_OVERLAP_MS,
      allowHttp: e.WEBHOOK_ALLOW_HTTP ? e.WEBHOOK_ALLOW_HTTP === 'true' : e.NODE_ENV !== 'production',
    },
  };
}
