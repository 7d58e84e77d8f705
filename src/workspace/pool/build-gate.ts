// How many whole-repository checkouts are written at once. Writing every file of a repository is
// the most expensive thing a session start can do (on this project's 2-core reference machine,
// 1.3 s of CPU for 5,000 files, almost all of it the kernel creating files), and a burst of
// sessions on one source used to write one each, all at once: 32 sessions started together wrote
// 32 checkouts although the first ones to finish would have handed theirs on. With a gate, a
// session that finds no pooled checkout waits for a build slot or for a checkout of its source to
// come back, whichever is first; the slots are handed out in arrival order.

/** Gives a build slot back (idempotent). */
export type Release = () => void;

export interface SlotRequest {
  /** Resolves once the slot is this request's. */
  granted: Promise<Release>;
  /** Gives up the place in line (or the slot, if it was already granted). */
  cancel(): void;
}

export class BuildGate {
  #free: number;
  readonly #queue: Array<(release: Release) => void> = [];

  constructor(slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`build slots must be ≥ 1, got ${slots}`);
    this.#free = slots;
  }

  /** A slot now, or undefined when none is free or others are already waiting for one. */
  tryAcquire(): Release | undefined {
    if (this.#free === 0 || this.#queue.length > 0) return undefined;
    this.#free--;
    return this.#release();
  }

  /** Joins the line for a slot. */
  request(): SlotRequest {
    const now = this.tryAcquire();
    if (now) return { granted: Promise.resolve(now), cancel: now };
    let grant: ((release: Release) => void) | undefined;
    let given: Release | undefined;
    let cancelled = false;
    const granted = new Promise<Release>((resolve) => {
      grant = (release) => {
        given = release;
        if (cancelled) release();
        else resolve(release);
      };
    });
    const waiter = (release: Release) => grant?.(release);
    this.#queue.push(waiter);
    return {
      granted,
      cancel: () => {
        cancelled = true;
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        given?.();
      },
    };
  }

  #release(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#queue.shift();
      if (next) next(this.#release());
      else this.#free++;
    };
  }
}
