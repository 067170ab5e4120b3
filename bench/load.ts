/**
 * The load generator, run by bench/run.ts as a process of its own so that its CPU is neither
 * the API's nor the orchestrator's:  node --import tsx bench/load.ts <spec.json>
 *
 * Fixed rate: autocannon's own rate limit lets every connection fire its quota at the start of
 * each second, so all connections would burst together. Instead each connection sends one
 * request per second (`connectionRate: 1`), and the connections are spread over up to 100
 * autocannon instances started at even offsets within the second: up to 100/s the requests
 * arrive one by one at even intervals, above that in 100 small groups per second. A
 * connection whose answer takes longer than a second falls behind, which shows as fewer
 * answers in the phase's time (and, 5 s after the last request was due, as unanswered ones).
 *
 * Closed loop (no rate): one instance with `connections` connections, each sending its next
 * request as soon as the previous one is answered.
 *
 * Latencies are taken from every response (autocannon's `response` event, hrtime-based, in
 * fractional milliseconds), so sub-millisecond reads keep their resolution.
 */
import type { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { summarize } from './lib/stats.js';
import type { LoadResult, LoadSpec } from './lib/types.js';

const MAX_INSTANCES = 100;

function readSpec(): LoadSpec {
  const file = process.argv[2];
  if (!file) throw new Error('usage: load.ts <spec.json>');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as LoadSpec;
  const url = new URL(spec.baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error(`load.ts only targets 127.0.0.1, not ${url.hostname}`);
  if (spec.paths.length === 0) throw new Error('spec.paths is empty');
  if (!(spec.durationSec > 0 && spec.durationSec <= 600)) throw new Error('durationSec must be in (0, 600]');
  if (spec.rate !== undefined && !(Number.isInteger(spec.rate) && spec.rate >= 1 && spec.rate <= 2000)) throw new Error('rate must be an integer in [1, 2000]');
  return spec;
}

function main(): Promise<void> {
  const spec = readSpec();
  const ok = new Set(spec.okStatus);
  const samples: number[] = [];
  const badStatus: Record<string, number> = {};
  let counter = 0;
  let completed = 0;
  let sent = 0;
  let errors = 0;
  let timeouts = 0;

  const request: autocannon.Request = {
    method: spec.method,
    path: spec.paths[0] ?? '/',
    setupRequest: (req: autocannon.Request): autocannon.Request => {
      const n = counter++;
      const headers: Record<string, string> = { ...spec.headers };
      if (spec.idempotencyPrefix) headers['idempotency-key'] = `${spec.idempotencyPrefix}-${n}`;
      const next: autocannon.Request = { ...req, path: spec.paths[n % spec.paths.length] ?? '/', headers };
      if (spec.bodies && spec.bodies.length > 0) {
        next.body = JSON.stringify(spec.bodies[n % spec.bodies.length]);
        headers['content-type'] = 'application/json';
      }
      return next;
    },
  };

  type Plan = { readonly connections: number; readonly delayMs: number };
  const plans: Plan[] = [];
  if (spec.rate !== undefined) {
    const instances = Math.min(MAX_INSTANCES, spec.rate);
    for (let i = 0; i < instances; i++) {
      const connections = Math.floor(spec.rate / instances) + (i < spec.rate % instances ? 1 : 0);
      plans.push({ connections, delayMs: Math.round((i * 1000) / instances) });
    }
  } else {
    plans.push({ connections: Math.max(1, spec.connections ?? 1), delayMs: 0 });
  }

  const started = performance.now();
  let lastResponseAt = started;
  const instances: autocannon.Instance[] = [];
  const runOne = (plan: Plan): Promise<void> => new Promise((resolve, reject) => {
    setTimeout(() => {
      const instance = autocannon({
        url: spec.baseUrl,
        connections: plan.connections,
        // Fixed rate: exactly `durationSec` requests per connection, and the phase ends when
        // the last one is answered (no request cut off at the end and lost from the count).
        ...(spec.rate !== undefined ? { connectionRate: 1, amount: plan.connections * spec.durationSec } : { duration: spec.durationSec }),
        timeout: spec.timeoutSec,
        requests: [request],
      }, (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        sent += result.requests.sent;
        errors += result.errors - result.timeouts;
        timeouts += result.timeouts;
        resolve();
      });
      instances.push(instance);
      // The instance re-emits each client's response with the client first (the typings
      // describe the client's own event, without it).
      (instance as unknown as EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
        completed++;
        lastResponseAt = performance.now();
        if (ok.has(status)) samples.push(ms);
        else badStatus[String(status)] = (badStatus[String(status)] ?? 0) + 1;
      });
    }, plan.delayMs);
  });

  // A server that cannot keep up would stretch a fixed-rate phase without end: cut it off
  // 5 s after its last request was due; what is unanswered by then counts as incomplete.
  let cutOffHit = false;
  const cutOff = spec.rate !== undefined
    ? setTimeout(() => {
      cutOffHit = true;
      for (const instance of instances) instance.stop();
    }, (spec.durationSec + 5) * 1000)
    : null;

  return Promise.all(plans.map(runOne)).then(() => {
    if (cutOff) clearTimeout(cutOff);
    const elapsedSec = (lastResponseAt - started) / 1000;
    const cpu = process.cpuUsage();
    const result: LoadResult = {
      name: spec.name,
      targetRate: spec.rate ?? null,
      connections: plans.reduce((acc, p) => acc + p.connections, 0),
      elapsedSec,
      sent,
      completed,
      // Closed loop: the requests in flight when the duration ends are dropped by design.
      incomplete: spec.rate !== undefined ? Math.max(0, sent - completed) : 0,
      cutOff: cutOffHit,
      ok: samples.length,
      badStatus,
      errors,
      timeouts,
      okPerSec: samples.length / Math.max(elapsedSec, spec.rate !== undefined ? spec.durationSec : 0.001),
      latencyMs: summarize(samples),
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
    writeFileSync(spec.outFile, JSON.stringify(result));
    process.stdout.write(`${spec.name}: ${result.ok} ok, ${completed - result.ok} bad, ${errors + timeouts} errors, ${result.incomplete} incomplete, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms\n`);
  });
}

// An orphaned load generator must not keep hammering: the orchestrator's pipe closing ends it.
process.stdin.on('end', () => process.exit(2));
process.stdin.resume();

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`load: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
