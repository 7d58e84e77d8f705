/** Shared bench helpers: timing, percentiles, process RSS, report sections. */
import { readdirSync, readFileSync } from 'node:fs';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baselineName?: string;
  baseline?: number;
  /** value / baseline (or baseline / value when lower is better and `invert`). */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export interface Section {
  title: string;
  figures: Figure[];
  notes: string[];
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/**
 * Benchmarks run the server as `npm start` and the container image do: tsc's build, which `npm run
 * bench` makes first (`prebench`). BENCH_ENTRY=source runs the TypeScript sources instead (Node's
 * type stripping: every process also holds the stripper, ~25 MB of RSS each; bench/notes.md).
 */
export const SERVER_ENTRY: 'source' | 'build' = process.env.BENCH_ENTRY === 'source' ? 'source' : 'build';

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Proportional set size in MB: resident pages, each shared one divided among the processes sharing it. */
export function pssMb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const m = /^Pss:\s+(\d+) kB/m.exec(rollup);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * CPU ms (user + system) of the helper processes of `parentPid` (git helpers, the change watcher),
 * their own and that of the processes they ran and reaped: the parent's cutime does not hold
 * those, since they are not its children.
 */
/**
 * CPU ms of a process so far (utime + stime), or with `children` of its waited-for children
 * (cutime + cstime). Linux /proc; clock ticks of 10 ms.
 */
export function cpuMs(pid: number, children = false): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const at = children ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) * 10;
}

export function gitHelpersCpuMs(parentPid: number): number {
  let total = 0;
  for (const pid of gitHelperPids(parentPid)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

// The server's long-lived helper processes: git helpers and the change watcher.
const HELPER = /git-helper|watch-process/;

/** The pids of the helper processes of `parentPid` (git helpers, the change watcher). */
export function gitHelperPids(parentPid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[1]) !== parentPid) continue;
      if (HELPER.test(readFileSync(`/proc/${name}/cmdline`, 'utf8'))) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
