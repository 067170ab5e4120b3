/**
 * Per-process CPU time from /proc/<pid>/stat (utime + stime, in clock ticks). A group is a
 * set of pids sampled before and after a phase; its CPU is the sum of the deltas, where a pid
 * that appeared during the phase (a new Postgres backend) counts in full. Linux only.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 });
    const value = Number(out.stdout.trim());
    ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

interface ProcStat {
  readonly ppid: number;
  /** utime + stime, in milliseconds. */
  readonly cpuMs: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return { ppid, cpuMs: ((utime + stime) * 1000) / clockTicks() };
  } catch {
    return null;
  }
}

/** The pid and all its descendants (one pass over /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(name));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0 && out.length < 10_000) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Descendants of `root` whose command line contains every one of `needles`. */
export function findDescendant(root: number, needles: readonly string[]): number | null {
  for (const pid of processTree(root)) {
    if (pid === root) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (needles.every((n) => cmdline.includes(n))) return pid;
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

/** Busy CPU milliseconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (
      (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / clockTicks()
    );
  } catch {
    return Number.NaN;
  }
}

export type CpuSnapshot = ReadonlyMap<number, number>;

export function snapshot(pids: readonly number[]): CpuSnapshot {
  const map = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) map.set(pid, stat.cpuMs);
  }
  return map;
}

/** CPU milliseconds spent between two snapshots of the same group. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

export function machine(): { cpuModel: string; memoryGiB: number; loadAvg: string } {
  let cpuModel = 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  let memoryGiB = 0;
  try {
    const kb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
    memoryGiB = Math.round(kb / 1024 / 1024);
  } catch {
    // not Linux
  }
  let loadAvg = '';
  try {
    loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    // not Linux
  }
  return { cpuModel, memoryGiB, loadAvg };
}
