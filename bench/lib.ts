/** Shared bench helpers: timing, percentiles, process RSS, report sections. */
import { readFileSync } from 'node:fs';

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

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
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
