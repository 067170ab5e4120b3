/**
 * Is the finance export's memory constant? `node --expose-gc --import tsx bench/experiments/export-memory.ts [entries]`
 *
 * Seeds a fresh database with the benchmark's ledger account (bench/lib/seed.ts), serves the
 * real Express app in this process (only the database is used by the export route; the
 * Temporal client and the platform are never called by it), streams
 * `GET /v1/ledger/entries/export` through HTTP and, every 2 s, forces a full GC and records
 * the live JS heap and the RSS. A constant-memory export shows a flat live heap from the first
 * tenth of the stream to the last, whatever the number of entries; RSS alone also counts
 * garbage V8 has not collected yet. Drops the database at the end.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import postgres from 'postgres';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import type { PlatformClient } from '../../src/platform/client.js';
import { seedLedger } from '../lib/seed.js';

const entries = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `ledger_bench_exportmem_${Date.now().toString(36)}_${process.pid}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
await admin.unsafe(`create database "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const mib = (n: number): number => Math.round((n / 1048576) * 10) / 10;
try {
  const database = await openDatabase({ url: url.toString(), poolMax: 4 });
  await migrateDatabase(database);
  const seedSql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  const seeded = await seedLedger(seedSql, entries);
  await seedSql.end();
  console.log(`seeded ${entries} entries in ${seeded.ms} ms`);
  const config = loadConfig({
    NODE_ENV: 'test',
    API_TOKENS: 'fin:admin:exportmem_admin_token',
    DATABASE_URL: url.toString(),
    LOG_LEVEL: 'warn',
  });
  const app = createApp({
    config,
    database,
    logger: createLogger('warn', 'export-memory'),
    platform: () => ({}) as PlatformClient,
    temporal: {} as Client,
    temporalUiUrl: null,
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  gc();
  const baseline = process.memoryUsage();
  const samples: { at: number; lines: number; heapMiB: number; rssMiB: number }[] = [];
  let lines = 0;
  const started = performance.now();
  const sampler = setInterval(() => {
    gc();
    const m = process.memoryUsage();
    samples.push({
      at: Math.round((performance.now() - started) / 100) / 10,
      lines,
      heapMiB: mib(m.heapUsed),
      rssMiB: mib(m.rss),
    });
  }, 2000);
  const res = await fetch(`http://127.0.0.1:${port}/v1/ledger/entries/export`, {
    headers: { authorization: 'Bearer exportmem_admin_token' },
  });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const b of chunk) if (b === 10) lines += 1;
  }
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `exported ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s (${Math.round(lines / seconds)} lines/s)`,
  );
  console.log(`before: heap ${mib(baseline.heapUsed)} MiB, rss ${mib(baseline.rss)} MiB`);
  console.log('t (s) | lines | live heap after GC (MiB) | rss (MiB)');
  for (const s of samples) console.log(`${s.at} | ${s.lines} | ${s.heapMiB} | ${s.rssMiB}`);
  server.close();
  await database.close();
} finally {
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
