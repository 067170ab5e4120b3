/**
 * The load generator, run by bench/run.ts as a process of its own so that its CPU is neither
 * the API's nor the orchestrator's:  node --import tsx bench/load.ts <spec.json>
 *
 * Fixed rate (open loop, as wrk2 does it): request i is due at start + i/rate and is sent
 * then, whether or not earlier ones were answered, over a keep-alive pool of node:http
 * connections (a new one opens when all are busy). One timer, no per-connection machinery:
 * the earlier driver, 100 autocannon instances with one connection per request/s, added
 * its own tail — against a no-op Express route at 100/s on this 2-core VM its p99 was
 * 44 ms where this driver measured 7 ms on the same server in the same minute. The delay
 * between a request's due time and its send (the driver's own lag) is reported as
 * `sendLagMs`, so a driver that falls behind shows instead of hiding in the figures.
 * Requests still unanswered 5 s after the last one was due are cut off and counted. Several
 * servers (`baseUrls`, e.g. two API processes) take the requests round robin.
 *
 * Closed loop (no rate): autocannon with `connections` connections, each sending its next
 * request as soon as the previous one is answered (throughput).
 *
 * Latencies are taken from every response, from send to the end of the body, with
 * sub-millisecond resolution.
 */
import type { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { summarize } from './lib/stats.js';
import type { LoadResult, LoadSpec } from './lib/types.js';

function readSpec(): LoadSpec {
  const file = process.argv[2];
  if (!file) throw new Error('usage: load.ts <spec.json>');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as LoadSpec;
  for (const base of [spec.baseUrl, ...(spec.baseUrls ?? [])]) {
    const url = new URL(base);
    if (url.hostname !== '127.0.0.1') throw new Error(`load.ts only targets 127.0.0.1, not ${url.hostname}`);
  }
  if (spec.baseUrls !== undefined && spec.baseUrls.length > 1 && spec.rate === undefined)
    throw new Error('baseUrls (round robin over several servers) is for a fixed rate only');
  if (spec.paths.length === 0) throw new Error('spec.paths is empty');
  if (!(spec.durationSec > 0 && spec.durationSec <= 600)) throw new Error('durationSec must be in (0, 600]');
  if (spec.rate !== undefined && !(Number.isInteger(spec.rate) && spec.rate >= 1 && spec.rate <= 2000))
    throw new Error('rate must be an integer in [1, 2000]');
  return spec;
}

function requestParts(
  spec: LoadSpec,
  n: number,
): { path: string; headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.idempotencyPrefix) headers['idempotency-key'] = `${spec.idempotencyPrefix}-${n}`;
  let body: string | undefined;
  if (spec.bodies && spec.bodies.length > 0) {
    body = JSON.stringify(spec.bodies[n % spec.bodies.length]);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return { path: spec.paths[n % spec.paths.length] ?? '/', headers, body };
}

/**
 * Open loop at a fixed rate over keep-alive node:http connections; with `baseUrls`, request n
 * goes to server n mod their count (round robin; each server has its own connections).
 */
function openLoop(spec: LoadSpec, rate: number): Promise<LoadResult> {
  const servers = (spec.baseUrls && spec.baseUrls.length > 0 ? spec.baseUrls : [spec.baseUrl]).map((u) => new URL(u));
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' });
  const ok = new Set(spec.okStatus);
  const total = rate * spec.durationSec;
  const samples: number[] = [];
  const lags: number[] = [];
  const badStatus: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const inFlight = new Set<http.ClientRequest>();
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let timeouts = 0;
  let cutOff = false;
  const started = performance.now();
  let lastResponseAt = started;

  return new Promise((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(cutOffTimer);
      for (const req of inFlight) req.destroy();
      agent.destroy();
      const elapsedSec = (lastResponseAt - started) / 1000;
      const cpu = process.cpuUsage();
      resolve({
        name: spec.name,
        targetRate: rate,
        connections: 0,
        elapsedSec,
        sent,
        completed,
        incomplete: Math.max(0, sent - completed - errors - timeouts),
        cutOff,
        ok: samples.length,
        badStatus,
        byStatus,
        errors,
        timeouts,
        okPerSec: samples.length / Math.max(elapsedSec, spec.durationSec),
        latencyMs: summarize(samples),
        sendLagMs: summarize(lags),
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
    };
    const settle = (): void => {
      if (sent === total && inFlight.size === 0) finish();
    };
    const send = (n: number, due: number): void => {
      const parts = requestParts(spec, n);
      const url = servers[n % servers.length] as URL;
      const t0 = performance.now();
      lags.push(t0 - due);
      sent++;
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: spec.method,
          path: parts.path,
          headers: parts.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const t1 = performance.now();
            inFlight.delete(req);
            completed++;
            lastResponseAt = t1;
            const status = res.statusCode ?? 0;
            byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
            if (ok.has(status)) samples.push(t1 - t0);
            else badStatus[String(status)] = (badStatus[String(status)] ?? 0) + 1;
            settle();
          });
        },
      );
      inFlight.add(req);
      req.setTimeout(spec.timeoutSec * 1000, () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', (error) => {
        if (!inFlight.delete(req)) return;
        if (error.message !== 'timeout') errors++;
        settle();
      });
      req.end(parts.body);
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && started + (sent * 1000) / rate <= now) send(sent, started + (sent * 1000) / rate);
      if (sent < total) setTimeout(tick, Math.max(0, started + (sent * 1000) / rate - performance.now()));
      else settle();
    };
    // A server that cannot keep up would stretch the phase without end.
    const cutOffTimer = setTimeout(
      () => {
        cutOff = inFlight.size > 0 || sent < total;
        finish();
      },
      (spec.durationSec + 5) * 1000,
    );
    tick();
  });
}

function main(): Promise<void> {
  const spec = readSpec();
  if (spec.rate !== undefined) {
    return openLoop(spec, spec.rate).then((result) => {
      writeFileSync(spec.outFile, JSON.stringify(result));
      const lag = result.sendLagMs;
      process.stdout.write(
        `${spec.name}: ${result.ok} ok, ${result.completed - result.ok} bad, ${result.errors + result.timeouts} errors, ${result.incomplete} incomplete, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, send lag p99 ${lag ? lag.p99.toFixed(2) : '?'} ms\n`,
      );
    });
  }
  const ok = new Set(spec.okStatus);
  const samples: number[] = [];
  const badStatus: Record<string, number> = {};
  let counter = 0;
  let completed = 0;

  const request: autocannon.Request = {
    method: spec.method,
    path: spec.paths[0] ?? '/',
    setupRequest: (req: autocannon.Request): autocannon.Request => {
      const parts = requestParts(spec, counter++);
      return {
        ...req,
        path: parts.path,
        headers: parts.headers,
        ...(parts.body !== undefined ? { body: parts.body } : {}),
      };
    },
  };

  const started = performance.now();
  let lastResponseAt = started;
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: Math.max(1, spec.connections ?? 1),
        duration: spec.durationSec,
        timeout: spec.timeoutSec,
        requests: [request],
      },
      (error, result) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(result);
      },
    );
    // The instance re-emits each client's response with the client first (the typings
    // describe the client's own event, without it).
    (instance as unknown as EventEmitter).on(
      'response',
      (_client: unknown, status: number, _bytes: number, ms: number) => {
        completed++;
        lastResponseAt = performance.now();
        if (ok.has(status)) samples.push(ms);
        else badStatus[String(status)] = (badStatus[String(status)] ?? 0) + 1;
      },
    );
  }).then((run) => {
    const elapsedSec = (lastResponseAt - started) / 1000;
    const cpu = process.cpuUsage();
    const result: LoadResult = {
      name: spec.name,
      targetRate: null,
      connections: Math.max(1, spec.connections ?? 1),
      elapsedSec,
      sent: run.requests.sent,
      completed,
      // Closed loop: the requests in flight when the duration ends are dropped by design.
      incomplete: 0,
      cutOff: false,
      ok: samples.length,
      badStatus,
      errors: run.errors - run.timeouts,
      timeouts: run.timeouts,
      okPerSec: samples.length / Math.max(elapsedSec, 0.001),
      latencyMs: summarize(samples),
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
    writeFileSync(spec.outFile, JSON.stringify(result));
    process.stdout.write(
      `${spec.name}: ${result.ok} ok, ${completed - result.ok} bad, ${result.errors + result.timeouts} errors, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms\n`,
    );
  });
}

// An orphaned load generator must not keep hammering: the orchestrator's pipe closing ends it.
process.stdin.on('end', () => process.exit(2));
process.stdin.resume();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
