// When a session that found no ready checkout should write a new one (the whole repository) and
// when it should wait for a checkout of its source to come back from a session that finishes.
// Writing costs CPU that the sessions already running need (measured: 1.3 s of CPU for 5,000 files,
// ~10 s for 50,000, the work of dozens of whole sessions there), so it is worth it only when what
// it gains is more: while the cores are all busy a session waits (a build would slow every session
// running); with idle cores it builds when the idle CPU one more checkout would put to work (at
// most a core, from when it is written until the sessions waiting are served: sessions waiting ×
// how long a session keeps its checkout ÷ checkouts out) is more than the build's own CPU (its time
// on every core: git writes with one worker per core), and builds at once while the source's
// builds or sessions have not been timed yet. It never waits when nothing of its source is out
// with a session (nothing can come back), nor longer than twenty builds would take (at least 2 s,
// at most a minute), and only while checkouts do come back: when none has for four builds' time
// (at least 2 s), the sessions out hold theirs (a model, a long command) and it builds.
import { availableParallelism } from 'node:os';
import type { BuildGate } from './build-gate.ts';
import { CpuIdle } from './cpu-idle.ts';

const MIN_WAIT_MS = 2000;
const MAX_WAIT_MS = 60_000;
const WAIT_BUILDS = 20;
/** Busy: less than this many cores' worth of CPU idle over the last sample window. */
const BUSY_BELOW_IDLE_CORES = 0.5;

export class BuildPolicy {
  readonly gate: BuildGate;
  readonly #cpu: CpuIdle;
  readonly #cores: number;
  #buildMs: number | undefined;

  constructor(gate: BuildGate, cpu: CpuIdle = new CpuIdle(), cores = availableParallelism()) {
    this.gate = gate;
    this.#cpu = cpu;
    this.#cores = cores;
  }

  /** The longest a session waits for a checkout to come back instead of building. */
  get maxWaitMs(): number {
    return Math.max(MIN_WAIT_MS, Math.min(MAX_WAIT_MS, WAIT_BUILDS * (this.#buildMs ?? 0)));
  }

  /**
   * Whether a session that has waited `waitedMs` so far, with `out` checkouts of its source held
   * by sessions or being built and the last one back `sinceReturnMs` ago (at most `waitedMs`),
   * should keep waiting for one of them rather than build. `backlogMs`: how long the checkouts out
   * need to serve every session waiting, when known.
   */
  keepWaiting(waitedMs: number, out: number, sinceReturnMs = 0, backlogMs?: number): boolean {
    if (out <= 0 || waitedMs >= this.maxWaitMs || sinceReturnMs >= this.returnHorizonMs) return false;
    if (this.cpuBusy()) return true;
    if (backlogMs === undefined || this.#buildMs === undefined) return false;
    return !this.#buildPays(backlogMs, this.#buildMs);
  }

  // Idle cores: what one more checkout would put to work (one session more at a time: at most a
  // core of what is idle, once written, until the backlog is served) against what writing it costs.
  #buildPays(backlogMs: number, buildMs: number): boolean {
    const gainMs = Math.min(1, this.#cpu.idleCores()) * (backlogMs - buildMs);
    return gainMs > buildMs * this.#cores;
  }

  /** Longer than this without a checkout coming back: none is about to. */
  get returnHorizonMs(): number {
    return Math.max(MIN_WAIT_MS, 4 * (this.#buildMs ?? 0));
  }

  /** Whether the cores were all (nearly) busy over the last sample window. */
  cpuBusy(): boolean {
    return this.#cpu.idleCores() < BUSY_BELOW_IDLE_CORES;
  }

  /** Runs a build, learning how long builds take (moving average). */
  async timed(build: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    await build();
    const ms = performance.now() - t0;
    this.#buildMs = movingAverage(this.#buildMs, ms);
  }
}

/** The moving average of build and hold times: the newest sample weighs 30 %. */
export function movingAverage(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : 0.7 * previous + 0.3 * sample;
}
