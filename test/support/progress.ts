/**
 * Waits for a long piece of work (many sessions) by its progress, not by the clock: it fails only when
 * the work stops moving (`progress` did not grow for `stallMs`), so a busy machine that is merely slow
 * never fails it and a hang still does, with how far things got in the message.
 */
export async function waitWhileProgressing(opts: {
  done: () => Promise<boolean>;
  /** A count that grows as the work goes on (e.g. activities written). */
  progress: () => Promise<number>;
  stallMs: number;
  describe: () => Promise<string>;
  intervalMs?: number;
}): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    if (await opts.done()) return;
    const now = await opts.progress();
    if (now > last) {
      last = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > opts.stallMs) {
      throw new Error(`no progress for ${opts.stallMs} ms: ${await opts.describe()}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
