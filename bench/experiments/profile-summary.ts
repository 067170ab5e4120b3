/**
 * Where a process's CPU went, from V8 CPU profiles (`node --cpu-prof`; `npm run bench --
 * --profile DIR` or `bench/experiments/temporal-cost.ts --profile DIR` write them, one per
 * thread):
 *
 *   npx tsx bench/experiments/profile-summary.ts [--per N] [--window FROM,TO] [--top N] <file.cpuprofile> ...
 *
 * Sums each profile's self time by category — the Temporal SDK's worker and workflow sandbox,
 * protobuf, drizzle, postgres.js, Node's HTTP and sockets, logging, zod, our own code, GC,
 * idle — and prints a Markdown table per file. `--per N` also divides by N (e.g. the number of
 * sagas the profile covered) to give milliseconds per saga. `--window FROM,TO` keeps the
 * samples between FROM and TO seconds after the profile's start (leave out start-up: module
 * loading, the workflow bundle); without it a timeline of busy time per second is printed to
 * find the window. `--top N` lists the N functions with the most self time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** First match wins: more specific patterns first. */
const CATEGORIES: readonly (readonly [string, (f: CallFrame) => boolean])[] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['V8/native (program)', (f) => f.functionName === '(program)' || f.functionName === '(root)'],
  ['protobuf (en/decoding)', (f) => /protobufjs|@temporalio\/proto|long\/|\/proto\//.test(f.url)],
  [
    'workflow sandbox (vm, @temporalio/workflow, bundle)',
    (f) =>
      /@temporalio\/workflow|workflow-bundle|webpack|\/workflows\//.test(f.url) ||
      /vm-shared|vm\.|reusable-vm/.test(f.url) ||
      f.url === 'node:vm',
  ],
  ['Temporal worker (activations, local activities)', (f) => /@temporalio\/(worker|common|activity)/.test(f.url)],
  ['Temporal core bridge (native calls)', (f) => /@temporalio\/core-bridge/.test(f.url)],
  ['Temporal client', (f) => /@temporalio\/client/.test(f.url)],
  ['drizzle-orm', (f) => /drizzle-orm/.test(f.url)],
  ['postgres.js', (f) => /node_modules\/postgres\//.test(f.url)],
  ['zod', (f) => /node_modules\/zod\//.test(f.url)],
  ['logging (pino)', (f) => /pino|sonic-boom|thread-stream/.test(f.url)],
  ['prom-client', (f) => /prom-client/.test(f.url)],
  ['lru-cache', (f) => /lru-cache/.test(f.url)],
  [
    'express and its middleware',
    (f) => /node_modules\/(express|body-parser|router|raw-body|send|finalhandler)/.test(f.url),
  ],
  [
    'Node HTTP / net / streams',
    (f) => /^node:(_http|http|net|stream|internal\/(http|streams|net|stream_base))/.test(f.url),
  ],
  ['Node timers / async hooks / other builtins', (f) => f.url.startsWith('node:')],
  ['our code (src, activities)', (f) => /\/(src|activities)\//.test(f.url) && !f.url.includes('node_modules')],
  ['tsx (loader)', (f) => /node_modules\/tsx/.test(f.url)],
  ['other node_modules', (f) => f.url.includes('node_modules')],
  ['other', () => true],
];

function categorize(frame: CallFrame): string {
  for (const [name, test] of CATEGORIES) if (test(frame)) return name;
  return 'other';
}

interface Summary {
  readonly totalMs: number;
  readonly byCategory: Map<string, number>;
  /** Busy (not idle) ms per second of the profile. */
  readonly timeline: number[];
  readonly top: [string, number][];
}

function summarize(profile: CpuProfile, window: readonly [number, number] | null): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const timeline: number[] = [];
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    const second = Math.floor(at / 1e6);
    if (byId.get(id)?.callFrame.functionName !== '(idle)') timeline[second] = (timeline[second] ?? 0) + delta / 1000;
    if (window && (at < window[0] * 1e6 || at > window[1] * 1e6)) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const byFunction = new Map<string, number>();
  const byCategory = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const category = categorize(node.callFrame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + us / 1000);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*node_modules\//, '')}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us / 1000);
  }
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    byCategory,
    timeline: Array.from(timeline, (v) => v ?? 0),
    top: [...byFunction.entries()].sort((a, b) => b[1] - a[1]),
  };
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { per: { type: 'string' }, window: { type: 'string' }, top: { type: 'string' } },
    allowPositionals: true,
  });
  const per = values.per ? Number(values.per) : 0;
  const bounds = values.window?.split(',').map(Number);
  const window: [number, number] | null = bounds?.length === 2 ? [bounds[0] ?? 0, bounds[1] ?? 0] : null;
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const { totalMs, byCategory, timeline, top } = summarize(profile, window);
    if (!window)
      process.stdout.write(`\nbusy ms per second: ${timeline.map((v, i) => `${i}s ${v.toFixed(0)}`).join(', ')}\n`);
    const busy = [...byCategory.entries()].filter(([c]) => c !== 'idle').reduce((a, [, v]) => a + v, 0);
    const rows = [...byCategory.entries()].sort((a, b) => b[1] - a[1]);
    process.stdout.write(
      `\n${path.basename(file)}: ${(totalMs / 1000).toFixed(1)} s profiled, ${busy.toFixed(0)} ms busy (not idle)\n\n`,
    );
    process.stdout.write(`| category | ms | % of busy |${per ? ` ms per unit (÷${per}) |` : ''}\n`);
    process.stdout.write(`| --- | --- | --- |${per ? ' --- |' : ''}\n`);
    for (const [category, ms] of rows) {
      if (category === 'idle') continue;
      process.stdout.write(
        `| ${category} | ${ms.toFixed(1)} | ${((100 * ms) / busy).toFixed(1)} |${per ? ` ${(ms / per).toFixed(2)} |` : ''}\n`,
      );
    }
    if (values.top) {
      process.stdout.write('\n');
      for (const [name, ms] of top.slice(0, Number(values.top)))
        process.stdout.write(`${ms.toFixed(1).padStart(8)} ms  ${name}\n`);
    }
  }
}

main();
