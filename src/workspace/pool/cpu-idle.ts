// How much of the machine's CPU sat idle lately, from the kernel's counters, over a window of at
// least `windowMs`. Read only when someone asks: the first line of /proc/stat on Linux (one small
// read; os.cpus() also reads every core's frequency and cost ~1 ms a call on the reference VM),
// os.cpus() elsewhere.
import { closeSync, openSync, readSync } from 'node:fs';
import { cpus } from 'node:os';

interface Sample {
  at: number;
  idleMs: number;
}

export class CpuIdle {
  readonly #windowMs: number;
  readonly #read: () => number;
  readonly #clock: () => number;
  #last: Sample;
  #idleCores = Number.POSITIVE_INFINITY;

  /**
   * `read` gives the idle milliseconds summed over all cores since boot, `clock` the time in ms
   * (tests inject both).
   */
  constructor(windowMs = 250, read: () => number = idleMsAllCores, clock = () => performance.now()) {
    this.#windowMs = windowMs;
    this.#read = read;
    this.#clock = clock;
    this.#last = { at: clock(), idleMs: read() };
  }

  /**
   * Idle cores on average over the last complete window (up to two windows old); infinite until a
   * first window has passed, and after a long quiet spell the whole spell counts as that window.
   */
  idleCores(): number {
    const now = this.#clock();
    const elapsed = now - this.#last.at;
    if (elapsed >= this.#windowMs) {
      const idleMs = this.#read();
      this.#idleCores = Math.max(0, (idleMs - this.#last.idleMs) / elapsed);
      this.#last = { at: now, idleMs };
    }
    return this.#idleCores;
  }
}

// /proc/stat counts in USER_HZ, which is 100 on every Linux architecture Node runs on.
const MS_PER_TICK = 10;
let procStat = process.platform === 'linux';

function idleMsAllCores(): number {
  if (procStat) {
    try {
      // "cpu  user nice system idle iowait ...": idle and iowait are both time with nothing to run.
      const line = firstLine('/proc/stat');
      const f = line.trim().split(/\s+/);
      const idle = Number(f[4]) + Number(f[5] ?? 0);
      if (f[0] === 'cpu' && Number.isFinite(idle)) return idle * MS_PER_TICK;
    } catch {
      // not readable (a sandbox without /proc): use os.cpus()
    }
    procStat = false;
  }
  let total = 0;
  for (const cpu of cpus()) total += cpu.times.idle;
  return total;
}

// The first line of a file, read with one small read (the rest of /proc/stat can be long).
function firstLine(path: string): string {
  const buf = Buffer.alloc(256);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('latin1', 0, n).split('\n', 1)[0]!;
  } finally {
    closeSync(fd);
  }
}
