/**
 * Webhook delivery latency, commit → receiver: grants through the API at a fixed rate, each
 * one's `credit.granted` event delivered to platform-mock's webhook receiver by the delivery
 * workflow (woken by the LISTEN/NOTIFY dispatcher). Latency = the receiver's arrival time minus
 * the event's `createdAt` (the insert's clock_timestamp, inside the committing transaction).
 *
 *   npx tsx bench/experiments/webhook-latency.ts [--rate 10] [--seconds 30]
 *
 * One process holds the API, the worker, platform-mock and the load loop (a Temporal dev server
 * and a fresh Postgres database beside it): figures include their contention, on a shared machine.
 * Needs Postgres at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and the
 * Temporal CLI (`npm run setup`). Leaves nothing running.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase } from '../../src/db/client.js';
import { startDevServer } from '../../src/dev/temporal-server.js';
import { createLogger } from '../../src/logger.js';
import { platformClientFactory } from '../../src/platform/factory.js';
import { startWebhookDispatcher } from '../../src/temporal/webhook-dispatcher.js';
import { createWorker } from '../../src/temporal/worker.js';
import { startPlatformMock } from '../../platform-mock/src/server.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const RATE = Number(arg('rate', '10'));
const SECONDS = Number(arg('seconds', '30'));
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_TOKEN = 'bench_admin_token_0123456789';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  const load0 = loadavg();
  try {
    const dev = await startDevServer({ headless: true });
    stops.push(() => dev.stop());
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    const dbName = `webhook_bench_${Date.now().toString(36)}_${process.pid}`;
    await admin.unsafe(`create database "${dbName}"`);
    stops.push(async () => {
      await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
      await admin.end({ timeout: 5 });
    });
    const dbUrl = new URL(ADMIN_URL);
    dbUrl.pathname = `/${dbName}`;
    const mock = await startPlatformMock({ port: 0 });
    stops.push(() => mock.close());
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: dbUrl.toString(),
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: `webhook-bench-${process.pid}`,
      PLATFORM_API_URL: mock.url,
      API_TOKENS: `bench:admin:${ADMIN_TOKEN}`,
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_MS: '0',
      APPROVAL_THRESHOLD: '0',
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    const logger = createLogger('warn', 'webhook-bench');
    const database = await openDatabase({ url: config.databaseUrl, poolMax: 10 });
    stops.push(() => database.close());
    await migrateDatabase(database);
    const connection = await Connection.connect({ address: dev.address });
    stops.push(() => connection.close());
    const temporal = new Client({ connection });
    const platform = platformClientFactory(config, mock.url, () => undefined);
    const running = await createWorker({
      address: dev.address,
      namespace: 'default',
      taskQueue: config.temporal.taskQueue,
      deps: { config, database, logger, platform, temporal },
    });
    const done = running.worker.run();
    stops.push(async () => {
      running.worker.shutdown();
      await done;
      await running.connection.close();
    });
    const dispatcher = await startWebhookDispatcher({ config, database, temporal, logger });
    stops.push(() => dispatcher.close());
    const app = createApp({ config, database, logger, temporal, platform, temporalUiUrl: null });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const receiverName = 'bench';
    const created = (await (
      await fetch(`${api}/v1/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${mock.url}/webhook-receiver/${receiverName}`, types: ['credit.granted'] }),
      })
    ).json()) as { id: string; secret: string };
    await fetch(`${mock.url}/__control/webhook-receiver/${receiverName}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secrets: [created.secret] }),
    });
    // Warm-up: one grant delivered before measuring (the workflow's first task loads the bundle).
    const grant = async (i: number): Promise<number> => {
      const res = await fetch(`${api}/v1/customers/cus_ada/credit/grants`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': 'application/json',
          'idempotency-key': `bench-${process.pid}-${i}`,
        },
        body: JSON.stringify({ amount: 100, currency: 'USD', reason: 'goodwill' }),
      });
      await res.text();
      return res.status;
    };
    const received = async (): Promise<{ webhookId: string; receivedAt: string; body: { createdAt: string } }[]> =>
      (
        (await (await fetch(`${mock.url}/__control/webhook-receiver/${receiverName}`)).json()) as {
          data: { webhookId: string; receivedAt: string; body: { createdAt: string } }[];
        }
      ).data;
    await grant(-1);
    for (let waited = 0; (await received()).length < 1; waited += 100) {
      if (waited > 60_000) throw new Error('warm-up delivery did not arrive');
      await new Promise((r) => setTimeout(r, 100));
    }
    const warm = (await received()).length;

    const total = RATE * SECONDS;
    const statuses: number[] = [];
    const started = Date.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(grant(i).then((s) => void statuses.push(s)));
    }
    await Promise.all(inflight);
    const sent = statuses.filter((s) => s === 201).length;
    const deadline = Date.now() + 120_000;
    let got = await received();
    while (new Set(got.map((r) => r.webhookId)).size < warm + sent && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      got = await received();
    }
    const firstById = new Map<string, number>();
    for (const r of got.slice(warm)) {
      if (!firstById.has(r.webhookId))
        firstById.set(r.webhookId, Date.parse(r.receivedAt) - Date.parse(r.body.createdAt));
    }
    const latencies = [...firstById.values()].sort((a, b) => a - b);
    const load1 = loadavg();
    const result = {
      rate: RATE,
      seconds: SECONDS,
      grants: total,
      grants201: sent,
      delivered: firstById.size,
      duplicates: got.length - warm - firstById.size,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? NaN,
      },
      loadavgBefore: load0.map((l) => Math.round(l * 100) / 100),
      loadavgAfter: load1.map((l) => Math.round(l * 100) / 100),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `webhook-latency failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
