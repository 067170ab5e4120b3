/** The markdown report of one benchmark run (bench/results/<date>.md). */
import {
  topologyName,
  type BenchResult,
  type CpuGroup,
  type PhaseResult,
  type ScenarioSummary,
  type TopologyResult,
} from './results.js';
import type { TimelineSummary } from './history.js';
import { READ_OVER_HEALTH_P99_LIMIT, readOverHealth } from './read-goals.js';
import { round } from './stats.js';

const GROUPS: readonly CpuGroup[] = ['api', 'worker', 'temporal', 'postgres', 'platform', 'baseline', 'load'];

function n(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return digits === undefined ? String(round(value)) : value.toFixed(digits);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** min / median / max of the RSS samples, and how many there were. */
function summarizeSamples(samples: readonly number[]): string {
  if (samples.length === 0) return '–';
  const sorted = [...samples].sort((x, y) => x - y);
  return `min ${n(sorted[0], 0)}, median ${n(sorted[Math.floor(sorted.length / 2)], 0)}, max ${n(sorted[sorted.length - 1], 0)} (${samples.length})`;
}

function load(s: ScenarioSummary): string {
  return s.rate !== null ? `${s.rate}/s` : `c=${s.connections ?? '?'}`;
}

function latencyRow(s: ScenarioSummary): string[] {
  return [
    s.label,
    load(s),
    n(s.latencyMs.p50),
    n(s.latencyMs.p95),
    n(s.latencyMs.p99),
    n(s.okPerSec),
    String(s.errors),
    String(s.runs.length),
    n(s.foreignCores, 2),
  ];
}

const LATENCY_HEAD = ['scenario', 'offered', 'p50', 'p95', 'p99', 'ok/s', 'errors', 'runs', 'other load (cores)'];

function cpuRow(label: string, perRequest: Partial<Record<CpuGroup, number>>): string[] {
  const total = GROUPS.reduce((acc, g) => acc + (Number.isFinite(perRequest[g]) ? (perRequest[g] ?? 0) : 0), 0);
  return [label, ...GROUPS.map((g) => n(perRequest[g], 2)), n(total, 2)];
}

function perRequest(phase: PhaseResult): Partial<Record<CpuGroup, number>> {
  const out: Partial<Record<CpuGroup, number>> = {};
  for (const g of GROUPS)
    if (phase.cpuMs[g] !== undefined && phase.load.ok > 0) out[g] = (phase.cpuMs[g] ?? 0) / phase.load.ok;
  return out;
}

function timelineRows(timelines: Readonly<Record<string, TimelineSummary | null>>): string {
  const entries = Object.entries(timelines).filter((e): e is [string, TimelineSummary] => e[1] !== null);
  if (entries.length === 0) return '';
  const types = [...new Set(entries.flatMap(([, t]) => Object.keys(t.activityRunByType)))];
  const row = (label: string, pick: (t: TimelineSummary) => number, digits = 1): string[] => [
    label,
    ...entries.map(([, t]) => n(pick(t), digits)),
  ];
  return table(
    ['median per saga', ...entries.map(([k, t]) => `${k} (${t.samples} sagas)`)],
    [
      row('HTTP p50 at the load generator (ms)', (t) => t.httpP50Ms ?? Number.NaN),
      row('workflow start → completion (ms)', (t) => t.totalMs),
      row('workflow tasks waiting for the worker (ms)', (t) => t.wftQueueMs),
      row('workflow tasks running on the worker (ms)', (t) => t.wftRunMs),
      row('activity tasks waiting for the worker (ms)', (t) => t.activityQueueMs),
      row('activities running (ms)', (t) => t.activityRunMs),
      ...types.map((type) => row(`  of which ${type} (ms)`, (t) => t.activityRunByType[type] ?? 0)),
      row('history events', (t) => t.events, 0),
      row('workflow tasks', (t) => t.workflowTasks, 0),
      row('activities', (t) => t.activities, 0),
      row('search-attribute upserts', (t) => t.searchAttributeUpserts, 0),
    ],
  );
}

/** The roles whose CPU makes a purchase (platform-mock and the load generator stand for the outside world). */
const ROLES = ['api', 'worker', 'temporal', 'postgres'] as const;

function roleCells(cpu: Readonly<Partial<Record<CpuGroup, number>>>): string[] {
  const total = ROLES.reduce((acc, g) => acc + (Number.isFinite(cpu[g]) ? (cpu[g] ?? 0) : 0), 0);
  return [...ROLES.map((g) => n(cpu[g], 2)), n(total, 2)];
}

/** The saga on each topology: throughput, latency at 10/s, CPU ms per purchase by role. */
function topologySection(topologies: readonly TopologyResult[]): string[] {
  const out = ['## Topologies: the saga on N APIs + M workers (same stack, same data)', ''];
  out.push(
    'APIs + workers; purchases spread round robin over the APIs. CPU ms per purchase by role: api is the sum over the API processes, worker the sum over the workers; total = api + worker + temporal + postgres (platform-mock and the load generator left out).',
    '',
  );
  out.push(
    table(
      [
        'topology',
        'max rate (p99 < 1 s)',
        'p50 / p99 at 10/s (ms)',
        'CPU ms/purchase: api',
        'worker',
        'temporal',
        'postgres',
        'total',
        'CPU measured at',
        'other load (cores)',
      ],
      topologies.map((t) => [
        topologyName(t.topology),
        t.max ? `${t.max.maxRate}/s` : '–',
        t.fixed ? `${n(t.fixed.latencyMs.p50)} / ${n(t.fixed.latencyMs.p99)}` : '–',
        ...roleCells(t.cpuPerPurchaseMs),
        t.cpuFrom,
        n(t.foreignCores, 2),
      ]),
    ),
  );
  out.push('', 'CPU ms per purchase at 10/s (the idle cost of the processes included):', '');
  out.push(
    table(
      ['topology', 'api', 'worker', 'temporal', 'postgres', 'total'],
      topologies.map((t) => [topologyName(t.topology), ...roleCells(t.cpuPerPurchaseAtFixedMs)]),
    ),
  );
  out.push('', 'Per process, CPU ms per purchase (same phase as the first table), and the search steps:', '');
  for (const t of topologies) {
    const perProcess = Object.entries(t.perProcessMs)
      .map(([k, v]) => `${k} ${n(v, 2)}`)
      .join(', ');
    const steps = (t.max?.steps ?? [])
      .map(
        (s) =>
          `${s.rate}/s: ${n(s.phase.load.latencyMs.p50)} / ${n(s.phase.load.latencyMs.p99)} ${s.passed ? 'pass' : `fail (${s.why})`}`,
      )
      .join('; ');
    out.push(`- ${topologyName(t.topology)}: ${perProcess || '–'}${steps ? `. Steps: ${steps}` : ''}`);
  }
  return out;
}

/** Each read's p99 over health's at the same rate, run by run (the goal: balance ≤ 1.3×). */
function readRatioLines(reads: readonly ScenarioSummary[]): string[] {
  const health = reads.find((s) => s.key === 'health');
  if (!health || health.rate === null) return [];
  const lines = reads
    .filter((s) => (s.key === 'balance' || s.key === 'ledger-first') && s.rate === health.rate)
    .map((s) => {
      const ratio = readOverHealth(s, health);
      return `- ${s.label}: p99 / health p99 = **${n(ratio.median, 2)}×** (runs: ${ratio.perRun.map((v) => v.toFixed(2)).join(', ')})${s.key === 'balance' ? ` — goal ≤ ${READ_OVER_HEALTH_P99_LIMIT}×: ${ratio.median <= READ_OVER_HEALTH_P99_LIMIT ? 'met' : 'not met'}` : ''}`;
    });
  return lines.length > 0 ? [...lines, ''] : [];
}

export function renderMarkdown(r: BenchResult): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# Benchmark ${r.startedAt}${r.options.quick ? ' (quick)' : ''}`);
  out.push('');
  out.push(
    `${String(m.cores)} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, Postgres ${m.postgres} (${m.postgresSettings}), ${m.temporal}. ` +
      `Stack and load generator on the same machine. Load average ${m.loadAvgAtStart} at start, ${m.loadAvgAtEnd} at the end. ` +
      `${r.options.quick ? 'Quick mode: one short run per figure.' : `Each figure is the median of ${r.options.runs} runs`} (throughput search and sustained run: once). Wall time ${Math.round(r.wallSec / 60)} min.`,
  );
  out.push('');
  out.push(
    `Settings: ${Object.entries(r.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
  );

  const purchases = r.scenarios.filter((s) => s.target !== 'api');
  const rows = [...purchases, ...(r.sustained ? [r.sustained] : [])];
  if (rows.length > 0) {
    out.push('', '## Purchases (POST /v1/purchases, latency in ms at the load generator)', '');
    out.push(
      '"other load" is the CPU that processes outside the benchmark used meanwhile (the machine is shared); with 2 cores, anything above ~0.2 inflates the latencies.',
      '',
    );
    out.push(table(LATENCY_HEAD, rows.map(latencyRow)));
  }
  if (r.maxRate.length > 0) {
    out.push('', '## Throughput: highest offered rate with p99 < 1 s and no errors', '');
    out.push(
      table(
        ['target', 'max sustained', 'steps (rate: p50 / p99 ms, verdict)'],
        r.maxRate.map((mr) => [
          mr.target,
          `${mr.maxRate}/s`,
          mr.steps
            .map(
              (s) =>
                `${s.rate}/s: ${n(s.phase.load.latencyMs.p50)} / ${n(s.phase.load.latencyMs.p99)} ${s.passed ? 'pass' : `fail (${s.why})`}`,
            )
            .join('; '),
        ]),
      ),
    );
  }
  if (r.ratios.p50SagaOverBaseline !== null || r.ratios.throughputSagaOverBaseline !== null) {
    out.push('', '## Ratios (same run)', '');
    out.push(`- saga p50 / baseline p50 at 10/s: **${n(r.ratios.p50SagaOverBaseline, 2)}×**`);
    out.push(`- saga max throughput / baseline max throughput: **${n(r.ratios.throughputSagaOverBaseline, 2)}×**`);
  }

  if (r.topologies && r.topologies.length > 0) out.push('', ...topologySection(r.topologies));

  const cpuRows: string[][] = [];
  for (const s of rows) cpuRows.push(cpuRow(`${s.label}`, s.cpuPerRequestMs));
  for (const mr of r.maxRate) {
    const best = [...mr.steps].filter((s) => s.passed).sort((a, b) => b.rate - a.rate)[0];
    if (best) cpuRows.push(cpuRow(`${mr.target} at ${best.rate}/s (max step)`, perRequest(best.phase)));
  }
  if (cpuRows.length > 0) {
    out.push('', '## CPU per purchase (CPU ms per successful request, per process)', '');
    out.push(
      "Measured from /proc/<pid>/stat over the load phase and the drain after it; Postgres is the sum of the benchmark database's backends (the server's WAL writer and checkpointer are shared with other databases and left out). At low rates the idle cost of the processes (below) is included.",
      '',
    );
    out.push(table(['scenario', ...GROUPS, 'total'], cpuRows));
    out.push(
      '',
      `Idle CPU (ms per second, nothing running): ${GROUPS.filter((g) => r.idleCpuPerSecMs[g] !== undefined)
        .map((g) => `${g} ${n(r.idleCpuPerSecMs[g], 1)}`)
        .join(', ')}.`,
    );
  }

  const reads = r.scenarios.filter((s) => s.target === 'api');
  if (reads.length > 0) {
    out.push('', '## Reads (GET, latency in ms at the load generator; DB = EXPLAIN ANALYZE planning + execution)', '');
    out.push(
      table(
        [...LATENCY_HEAD, 'DB ms', 'DB ms before the fix', 'CPU ms/read: api', 'postgres'],
        reads.map((s) => [
          ...latencyRow(s),
          n(s.dbMs, 3),
          n(s.dbMsBeforeFix, 3),
          n(s.cpuPerRequestMs.api, 2),
          n(s.cpuPerRequestMs.postgres, 2),
        ]),
      ),
    );
    out.push(
      '',
      ...readRatioLines(reads),
      'Reads that take longer than half the interval between requests at the offered rate are measured one at a time (c=1): a fixed rate would only measure the queue they build. "DB ms before the fix": the listing query as it was before this change: ordered by `created_at DESC, id DESC` (NULLS FIRST, which the `… DESC NULLS LAST` indexes cannot give, so Postgres sorted every matching row) and with the keyset cursor as an OR (a filter, not an index condition). The API now orders NULLS LAST and compares `(created_at, id) < (…)`.',
    );
  }

  if (r.audit) {
    const a = r.audit;
    out.push('', '## Audit: balance at an instant, export, verification', '');
    out.push(
      `Postgres time (EXPLAIN ANALYZE, median): balance read ${n(a.dbMs.balance, 3)} ms, balance at an instant ${n(a.dbMs.asOf, 3)} ms (HTTP latencies in the reads table: \`audit-balance\`, \`audit-asof\`).`,
      '',
    );
    out.push(
      table(
        [
          'stream',
          'lines',
          'MB',
          'seconds',
          'lines/s',
          'API RSS before (MiB)',
          'peak',
          'after',
          'RSS samples (every 250 ms, MiB)',
          'other load (cores)',
        ],
        a.streams.map((f) => [
          f.label,
          String(f.rows),
          n(f.bytes / 1e6, 1),
          n(f.wallMs / 1000, 1),
          n(f.rows / (f.wallMs / 1000), 0),
          n(f.rssMiB.before, 0),
          n(f.rssMiB.peak, 0),
          n(f.rssMiB.after, 0),
          summarizeSamples(f.rssMiB.samples),
          n(f.foreignCores, 2),
        ]),
      ),
    );
  }

  const timelines = timelineRows(r.timelines);
  if (timelines) {
    out.push('', "## Where a saga's time goes (server timestamps from the workflow histories)", '');
    out.push(timelines);
    out.push(
      '',
      "HTTP p50 minus the workflow's own duration is the API's share: claiming the Idempotency-Key and recording the attempt, StartWorkflowExecution, learning of the result (long poll on the history), reading the purchase and storing the response. Waiting = scheduled → started (matching and dispatch to a poller); running = started → completed.",
    );
  }

  if (r.goals.length > 0) {
    out.push('', '## Goals', '');
    out.push(
      table(
        ['goal', 'measured', 'met'],
        r.goals.map((g) => [g.goal, g.measured, g.met === null ? '–' : g.met ? 'yes' : '**no**']),
      ),
    );
  }
  if (r.overload) {
    const o = r.overload;
    out.push(
      '',
      `## Overload: ${o.rate}/s (2 × the sustainable ${o.sustainableRate}/s, from ${o.sustainableFrom}) for ${o.durationSec} s, PURCHASE_ADMISSION_MAX_IN_FLIGHT=${o.admissionInFlight}, PURCHASE_ADMISSION_TARGET_MS=${o.admissionTargetMs}`,
      '',
      table(
        [
          'run',
          'offered',
          '201',
          '202',
          '503 (metric)',
          'other',
          'accepted p50 / p99 ms',
          'goodput /s',
          '% of sustainable',
          'other load (cores)',
        ],
        o.runs.map((run, i) => [
          String(i + 1),
          String(run.offered),
          String(run.completed201),
          String(run.accepted202),
          `${run.refused503} (${run.refusedByMetric})`,
          String(run.other),
          `${n(run.acceptedLatencyMs.p50)} / ${n(run.acceptedLatencyMs.p99)}`,
          n(run.goodputPerSec, 1),
          n((100 * run.goodputPerSec) / o.sustainableRate, 0),
          n(run.foreignCores, 2),
        ]),
      ),
      '',
      `Medians: accepted p99 ${n(o.acceptedP99Ms)} ms, goodput ${n(o.goodputPerSec, 1)}/s (${n(o.goodputRatio * 100, 0)} %), ${n(o.refused503)} × 503. ` +
        `One read of each admission signal (p50 / p99, 200 reads from the benchmark process): pending attempts in Postgres ${n(o.signalCostMs.pendingCount.p50, 2)} / ${n(o.signalCostMs.pendingCount.p99, 2)} ms, DescribeTaskQueue with stats ${n(o.signalCostMs.describeTaskQueue.p50, 2)} / ${n(o.signalCostMs.describeTaskQueue.p99, 2)} ms.`,
    );
  }
  if (r.invariants) {
    const inv = r.invariants;
    out.push(
      '',
      `Invariants after the purchase scenarios: ${inv.accounts} accounts, ${inv.purchases} purchases, ${inv.failedAttempts} failed attempts, ${inv.shipments} shipments — ${inv.violations.length === 0 ? 'I1, I2, I3 and I5 hold.' : `${inv.violations.length} violations: ${inv.violations.slice(0, 5).join('; ')}`}`,
    );
  }
  out.push('', '## Seeding', '');
  out.push(
    table(
      ['step', 'rows', 'ms'],
      r.seed.map((s) => [s.step, String(s.rows), String(s.ms)]),
    ),
  );
  if (r.notes.length > 0) out.push('', ...r.notes.map((note) => `- ${note}`));
  return `${out.join('\n')}\n`;
}
