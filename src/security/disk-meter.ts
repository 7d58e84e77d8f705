/**
 * When a checkout's disk use must be measured. Measuring walks the whole tree (one lstat per file:
 * 5,000 files cost ~100 ms of the server's CPU, 50,000 ten times that), so doing it after every
 * command made every session pay for the size of its repository. The filesystem's free space is one
 * `statfs` call: whatever the session wrote since the last walk lowered it at least by that much, so
 * while the drop stays below the headroom the session cannot have crossed its limit and no walk is
 * needed. A drop caused by other writers on the same filesystem only brings the walk forward.
 *
 * Space freed elsewhere meanwhile (another checkout removed) can hide a session's growth from the
 * drop; the walk that runs at least every `recheckMs` while commands run bounds that.
 */
import { statfsSync } from 'node:fs';
import { diskUsage } from './disk-usage.ts';

export interface DiskMeterOptions {
  /** A walk at least this often while the checkout changes (default 30 s). */
  recheckMs?: number;
  /** Free bytes of the filesystem holding `dir` (tests replace it, with `initialFree`). */
  freeBytes?: (dir: string) => Promise<number>;
  initialFree?: number;
  /** Bytes used under `dir`, counting stops above `stopAbove` (tests replace it). */
  walk?: (dir: string, stopAbove: number) => Promise<number>;
  now?: () => number;
}

const DEFAULT_RECHECK_MS = 30_000;

function freeBytesSync(dir: string): number {
  const s = statfsSync(dir);
  return s.bfree * s.bsize;
}

function freeBytesNow(dir: string): number | undefined {
  try {
    return freeBytesSync(dir);
  } catch {
    return undefined;
  }
}

// At once, not through the thread pool (src/workspace/small-fs.ts says why): it runs after every
// command and step. Async for the tests' replacements.
const freeBytes = async (dir: string): Promise<number> => freeBytesSync(dir);

export class DiskMeter {
  readonly #dir: string;
  readonly #limit: number;
  readonly #recheckMs: number;
  readonly #free: (dir: string) => Promise<number>;
  readonly #walk: (dir: string, stopAbove: number) => Promise<number>;
  readonly #now: () => number;
  /** Bytes measured by the last walk (undefined: none yet). */
  #used: number | undefined;
  /** Free bytes when the last walk (or the meter) started; undefined: statfs failed, always walk. */
  #freeAtMark: number | undefined;
  #markedAt: number;

  /** `limit` > 0. The free space is read now, so that everything written from here on counts. */
  constructor(dir: string, limit: number, opts: DiskMeterOptions = {}) {
    this.#dir = dir;
    this.#limit = limit;
    this.#recheckMs = opts.recheckMs ?? DEFAULT_RECHECK_MS;
    this.#free = opts.freeBytes ?? freeBytes;
    this.#walk = opts.walk ?? diskUsage;
    this.#now = opts.now ?? Date.now;
    this.#freeAtMark = opts.freeBytes ? opts.initialFree : freeBytesNow(dir);
    this.#markedAt = this.#now();
  }

  /**
   * Whether the checkout is over the limit. Walks the tree only when the free space dropped by more
   * than half the headroom left at the last walk (a quarter of the limit before the first), or when
   * the last walk is older than `recheckMs`.
   */
  async over(): Promise<boolean> {
    const free = await this.#free(this.#dir).catch(() => undefined);
    const due = this.#now() - this.#markedAt >= this.#recheckMs;
    if (!due && free !== undefined && this.#freeAtMark !== undefined) {
      const drop = Math.max(0, this.#freeAtMark - free);
      const headroom = this.#used === undefined ? this.#limit / 4 : (this.#limit - this.#used) / 2;
      if (drop <= headroom) return false;
    }
    this.#markedAt = this.#now();
    this.#freeAtMark = free;
    this.#used = await this.#walk(this.#dir, this.#limit);
    return this.#used > this.#limit;
  }
}
