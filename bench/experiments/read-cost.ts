/**
 * What one read costs the API process, in CPU µs per request:
 *
 *   npx tsx bench/experiments/read-cost.ts [--entries 20000] [--requests 3000] [--rounds 3] [--concurrency 4] [--profile DIR]
 *
 * Seeds a fresh database with the benchmark's ledger account (bench/lib/seed.ts), starts the
 * real Express app (`createApp`, production settings: `NODE_ENV=production`, `LOG_LEVEL=warn`,
 * a pool of 10) in a child process of its own, and sends each read a fixed number of times
 * over keep-alive connections from this process: `GET /v1/health`, the balance read, the
 * newest ledger page and a page by cursor. The child's CPU comes from /proc/<pid>/stat
 * before and after each batch, so the driver's own CPU is not in it. Each round runs every
 * read once (after a warm-up batch); the figure is the median of the rounds. `--profile DIR`
 * runs the child under `node --cpu-prof` (the figures are then slower: profiling costs CPU);
 * summarise the profile with bench/experiments/profile-summary.ts. Drops the database at the end.
 *
 * The child mode (`--serve <database url>`) is internal: it prints its port and serves until
 * its stdin closes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import postgres from 'postgres';
import { createApp } from '../../src/api/app.js';
import { encodeCursor } from '../../src/api/cursor.js';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import type { PlatformClient } from '../../src/platform/client.js';
import { cpuBetween, snapshot } from '../lib/cpu.js';
import { LEDGER_CUSTOMER, seedLedger } from '../lib/seed.js';
import { median, summarize } from '../lib/stats.js';

const TOKEN = 'readcost_storefront_token_0123456789';

async function serve(url: string): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'production',
    API_TOKENS: `shop:storefront:${TOKEN}`,
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
  });
  const database = await openDatabase({ url, poolMax: 10 });
  const app = createApp({
    config,
    database,
    logger: createLogger('warn', 'read-cost'),
    // The reads below never call the platform (the account exists) nor Temporal.
    platform: () => ({}) as PlatformClient,
    temporal: {} as Client,
    temporalUiUrl: null,
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  process.stdin.resume();
  await once(process.stdin, 'end');
  server.close();
  server.closeAllConnections();
  await database.close();
}

interface Batch {
  readonly cpuUsPerRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** `count` GETs of `pathName`, `concurrency` at a time on keep-alive sockets; the child's CPU meanwhile. */
async function batch(port: number, pid: number, pathName: string, count: number, concurrency: number): Promise<Batch> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: number[] = [];
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.get(
        { host: '127.0.0.1', port, path: pathName, agent, headers: { authorization: `Bearer ${TOKEN}` } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`${pathName}: ${res.statusCode}`));
            else {
              samples.push(performance.now() - started);
              resolve();
            }
          });
        },
      );
      req.on('error', reject);
    });
  const before = snapshot([pid]);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        await one();
      }
    }),
  );
  const after = snapshot([pid]);
  agent.destroy();
  const latency = summarize([...samples].sort((a, b) => a - b));
  return { cpuUsPerRequest: (cpuBetween(before, after) * 1000) / count, p50Ms: latency.p50, p99Ms: latency.p99 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      entries: { type: 'string', default: '20000' },
      requests: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '4' },
      profile: { type: 'string' },
    },
  });
  if (values.serve) {
    await serve(values.serve);
    return;
  }
  const entries = Number(values.entries);
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `ledger_bench_readcost_${Date.now().toString(36)}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const database = await openDatabase({ url: url.toString(), poolMax: 1 });
    await migrateDatabase(database);
    await database.close();
    const seedSql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
    await seedLedger(seedSql, entries);
    await seedSql.unsafe('vacuum analyze');
    await seedSql.end();

    const self = fileURLToPath(import.meta.url);
    const nodeArgs = ['--import', 'tsx'];
    if (values.profile) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`);
    const child = spawn(process.execPath, [...nodeArgs, self, '--serve', url.toString()], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    const pid = child.pid as number;
    const c = LEDGER_CUSTOMER;
    const reads: readonly [string, string][] = [
      ['GET /v1/health', '/v1/health'],
      ['balance read', `/v1/customers/${c}/credit`],
      ['ledger page, newest 20', `/v1/customers/${c}/credit/entries?limit=20`],
      [
        'ledger page by cursor',
        `/v1/customers/${c}/credit/entries?limit=20&cursor=${encodeCursor({ v: Math.floor(entries / 2) })}`,
      ],
    ];
    for (const [, p] of reads) await batch(port, pid, p, Math.min(500, requests), concurrency);
    const results = new Map<string, Batch[]>(reads.map(([label]) => [label, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [label, p] of reads) results.get(label)?.push(await batch(port, pid, p, requests, concurrency));
    }
    console.log(
      `${requests} requests × ${rounds} rounds per read, ${concurrency} at a time, ${entries} entries; load average ${(
        await import('node:os')
      )
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log('| read | API CPU µs/request (median; rounds) | p50 ms | p99 ms |');
    console.log('| --- | --- | --- | --- |');
    for (const [label] of reads) {
      const runs = results.get(label) ?? [];
      const cpu = runs.map((b) => b.cpuUsPerRequest);
      console.log(
        `| ${label} | ${median(cpu).toFixed(0)} (${cpu.map((v) => v.toFixed(0)).join(', ')}) | ${median(runs.map((b) => b.p50Ms)).toFixed(2)} | ${median(runs.map((b) => b.p99Ms)).toFixed(2)} |`,
      );
    }
    child.stdin.end();
    await once(child, 'exit');
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

await main();
