/**
 * The benchmark's options and the shapes of its results (written to
 * bench/results/<date>.json): shared by the orchestrator (bench/run.ts) and the report
 * (bench/lib/report.ts), so neither imports the other.
 */
import type { TimelineSummary } from './history.js';
import type { InvariantReport } from './invariants.js';
import type { SeedTiming } from './seed.js';
import type { Latency, LoadResult } from './types.js';

export const SCENARIOS = ['reads', 'fixed', 'hotcold', 'max', 'sustained', 'overload', 'audit'] as const;
export type ScenarioGroup = (typeof SCENARIOS)[number];

/** How many API processes and worker processes serve the saga (`1+1`, `2+2`). */
export interface Topology {
  readonly apis: number;
  readonly workers: number;
}

export function topologyName(t: Topology): string {
  return `${t.apis}+${t.workers}`;
}

export interface Options {
  readonly quick: boolean;
  readonly runs: number;
  readonly only: ReadonlySet<ScenarioGroup>;
  readonly maxRate: number;
  readonly entries: number;
  readonly purchases: number;
  readonly cold: number;
  /** 0 = auto: 80% of each target's maximum rate (or 5/s without a search). */
  readonly hotRate: number;
  readonly readRate: number;
  readonly profileDir: string | null;
  /** The saga's sustainable rate for the overload phase; 0 = this run's throughput search. */
  readonly sustainableRate: number;
  /** PURCHASE_ADMISSION_MAX_IN_FLIGHT of the API (0 = admission control off). */
  readonly admissionInFlight: number;
  /** PURCHASE_ADMISSION_TARGET_MS of the API (0 = the fixed bound). */
  readonly admissionTargetMs: number;
  /** Length of each overload run, seconds. */
  readonly overloadSec: number;
  /**
   * The topologies to measure, in order (default one: 1+1). Every phase runs on the first; with
   * more than one, the saga's fixed-rate phase and throughput search run again on each of the
   * others, in the same stack (extra API and worker processes started, surplus ones stopped).
   */
  readonly topologies: readonly Topology[];
}

export type CpuGroup = 'api' | 'worker' | 'temporal' | 'postgres' | 'platform' | 'baseline' | 'load';

export interface PhaseResult {
  readonly name: string;
  readonly load: LoadResult;
  /** CPU milliseconds per process group over the load and the drain after it. */
  readonly cpuMs: Readonly<Partial<Record<CpuGroup, number>>>;
  readonly wallSec: number;
  readonly drainMs: number;
  /** CPU used by processes outside the benchmark during the phase, in cores (the machine is shared). */
  readonly foreignCores: number;
  /** CPU milliseconds of each API and worker process (`api 1`, `worker 2`, …) over the phase. */
  readonly processCpuMs?: Readonly<Record<string, number>>;
  /** The topology the phase ran on, e.g. `2+2`. */
  readonly topology?: string;
}

export interface ScenarioSummary {
  readonly key: string;
  readonly label: string;
  readonly target: 'saga' | 'baseline' | 'api';
  readonly rate: number | null;
  readonly connections: number | null;
  readonly runs: readonly PhaseResult[];
  /** Medians over the runs. */
  readonly latencyMs: Latency;
  readonly okPerSec: number;
  readonly errors: number;
  /** Median CPU milliseconds per successful request, per process group. */
  readonly cpuPerRequestMs: Readonly<Partial<Record<CpuGroup, number>>>;
  /** Database execution time of the same query (EXPLAIN ANALYZE, median), for reads. */
  readonly dbMs?: number;
  /** Median CPU of other processes on the machine during the runs, in cores. */
  readonly foreignCores: number;
  /** For purchase listings: the DB time of the query as it was before the NULLS LAST / row-keyset fix. */
  readonly dbMsBeforeFix?: number;
}

export interface StepResult {
  readonly rate: number;
  readonly passed: boolean;
  readonly why: string;
  readonly phase: PhaseResult;
}

export interface MaxRateResult {
  readonly target: 'saga' | 'baseline';
  readonly maxRate: number;
  readonly steps: readonly StepResult[];
}

export interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export interface StreamFigure {
  readonly label: string;
  readonly wallMs: number;
  readonly rows: number;
  readonly bytes: number;
  /** The API process's resident memory: before, the peak (VmHWM, reset before), after, and samples every 250 ms. */
  readonly rssMiB: {
    readonly before: number;
    readonly peak: number;
    readonly after: number;
    readonly samples: readonly number[];
  };
  readonly foreignCores: number;
}

export interface AuditFigures {
  /** Postgres time (EXPLAIN ANALYZE, median) of today's balance read and of a balance at an instant. */
  readonly dbMs: { readonly balance: number; readonly asOf: number };
  readonly streams: readonly StreamFigure[];
}

/** One run of the overload phase: 2 × the sustainable rate, open loop. */
export interface OverloadRun {
  readonly offered: number;
  /** 201 (completed within the sync wait) and 202 (accepted, still running at the deadline). */
  readonly completed201: number;
  readonly accepted202: number;
  /** 503 answers (admission control's `overloaded`, counted by the API's refusals metric as well). */
  readonly refused503: number;
  readonly refusedByMetric: number;
  /** Other statuses, connection errors, timeouts, cut off. */
  readonly other: number;
  /** Latency of the accepted (201 and 202) answers, ms. */
  readonly acceptedLatencyMs: Latency;
  /** 201 answers per second of the phase. */
  readonly goodputPerSec: number;
  readonly foreignCores: number;
  readonly drainMs: number;
}

export interface OverloadFigures {
  readonly sustainableRate: number;
  /** Where the sustainable rate came from. */
  readonly sustainableFrom: string;
  readonly rate: number;
  readonly durationSec: number;
  readonly admissionInFlight: number;
  readonly admissionTargetMs: number;
  readonly runs: readonly OverloadRun[];
  /** Medians over the runs. */
  readonly acceptedP99Ms: number;
  readonly goodputPerSec: number;
  readonly goodputRatio: number;
  readonly refused503: number;
  /** What one read of each admission signal costs, from the benchmark process (ms, 200 reads each). */
  readonly signalCostMs: {
    readonly pendingCount: { readonly p50: number; readonly p99: number };
    readonly describeTaskQueue: { readonly p50: number; readonly p99: number };
  };
}

/** The saga on one topology: its fixed-rate phase, its throughput search, its CPU per purchase by role. */
export interface TopologyResult {
  readonly topology: Topology;
  /** The saga at 10/s on this topology (medians over the runs). */
  readonly fixed: ScenarioSummary | null;
  /** The saga's throughput search on this topology. */
  readonly max: MaxRateResult | null;
  /**
   * CPU ms per successful purchase by role (api = the sum over the API processes, worker = the
   * sum over the workers), at the highest passing step of the search (else at the fixed rate).
   */
  readonly cpuPerPurchaseMs: Readonly<Partial<Record<CpuGroup, number>>>;
  /** Which phase the CPU figures come from, e.g. `search step at 48/s`. */
  readonly cpuFrom: string;
  /** CPU ms per purchase by role at the fixed rate. */
  readonly cpuPerPurchaseAtFixedMs: Readonly<Partial<Record<CpuGroup, number>>>;
  /** CPU ms per purchase of each API process and each worker process (same phase as cpuPerPurchaseMs). */
  readonly perProcessMs: Readonly<Record<string, number>>;
  /** Median other load over this topology's phases, in cores. */
  readonly foreignCores: number;
}

export interface BenchResult {
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSec: number;
  readonly options: Omit<Options, 'only'> & { readonly only: readonly ScenarioGroup[] };
  readonly machine: Record<string, string | number>;
  readonly settings: Record<string, string | number>;
  readonly seed: readonly SeedTiming[];
  readonly idleCpuPerSecMs: Readonly<Partial<Record<CpuGroup, number>>>;
  readonly scenarios: readonly ScenarioSummary[];
  readonly maxRate: readonly MaxRateResult[];
  readonly sustained: ScenarioSummary | null;
  readonly ratios: { readonly p50SagaOverBaseline: number | null; readonly throughputSagaOverBaseline: number | null };
  readonly timelines: Readonly<Record<string, TimelineSummary | null>>;
  readonly invariants: InvariantReport | null;
  readonly goals: readonly Goal[];
  readonly notes: readonly string[];
  readonly audit?: AuditFigures;
  readonly overload?: OverloadFigures;
  /** Per topology, when more than one was measured (or the only one is not 1+1). */
  readonly topologies?: readonly TopologyResult[];
}
