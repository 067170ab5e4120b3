/**
 * The reads' goal against the HTTP floor: a read's p99 at the read rate over `GET /v1/health`'s
 * p99 in the same benchmark run (health has no auth and no database, so the ratio is what the
 * read adds on this machine, whatever the machine's own floor is that minute). Run i of the
 * read is compared with run i of health; the verdict is on the median of the per-run ratios.
 */
import type { Goal, ScenarioSummary } from './results.js';
import { median, round } from './stats.js';

/** The balance read's p99 may be at most this many times health's. */
export const READ_OVER_HEALTH_P99_LIMIT = 1.3;

export interface ReadRatio {
  /** Read p99 / health p99, run by run (same index). */
  readonly perRun: readonly number[];
  readonly median: number;
  /** Other load (cores) of each pair of runs: health's, then the read's. */
  readonly otherLoad: readonly (readonly [number, number])[];
}

export function readOverHealth(read: ScenarioSummary, health: ScenarioSummary): ReadRatio {
  const pairs = Math.min(read.runs.length, health.runs.length);
  const perRun: number[] = [];
  const otherLoad: [number, number][] = [];
  for (let i = 0; i < pairs; i++) {
    const r = read.runs[i];
    const h = health.runs[i];
    if (!r || !h) continue;
    perRun.push(r.load.latencyMs.p99 / h.load.latencyMs.p99);
    otherLoad.push([h.foreignCores, r.foreignCores]);
  }
  return { perRun, median: median(perRun), otherLoad };
}

function describe(ratio: ReadRatio, read: ScenarioSummary, health: ScenarioSummary): string {
  const runs = ratio.perRun
    .map((value, i) => {
      const [healthLoad, readLoad] = ratio.otherLoad[i] ?? [Number.NaN, Number.NaN];
      const r = read.runs[i]?.load.latencyMs.p99 ?? Number.NaN;
      const h = health.runs[i]?.load.latencyMs.p99 ?? Number.NaN;
      return `${round(r)} / ${round(h)} ms = ${value.toFixed(2)}× (other load ${readLoad.toFixed(2)} / ${healthLoad.toFixed(2)} cores)`;
    })
    .join('; ');
  return `median **${ratio.median.toFixed(2)}×** at ${read.rate ?? '?'}/s; runs: ${runs}`;
}

/**
 * The goal row for the balance read, and the ledger page's ratio for information (no verdict);
 * none when the run measured no reads.
 */
export function readGoals(byKey: (key: string) => ScenarioSummary | undefined): Goal[] {
  const health = byKey('health');
  const balance = byKey('balance');
  const page = byKey('ledger-first');
  if (!health || health.rate === null) return [];
  const goals: Goal[] = [];
  if (balance && balance.rate === health.rate) {
    const ratio = readOverHealth(balance, health);
    goals.push({
      goal: `balance read p99 / GET /v1/health p99 at ${health.rate}/s ≤ ${READ_OVER_HEALTH_P99_LIMIT}×`,
      measured: describe(ratio, balance, health),
      met: Number.isFinite(ratio.median) ? ratio.median <= READ_OVER_HEALTH_P99_LIMIT : null,
    });
  }
  if (page && page.rate === health.rate) {
    goals.push({
      goal: `ledger page (newest 20) p99 / GET /v1/health p99 at ${health.rate}/s (for information)`,
      measured: describe(readOverHealth(page, health), page, health),
      met: null,
    });
  }
  return goals;
}
