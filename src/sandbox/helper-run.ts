// The sandboxes' commands are started by the git helper processes (src/workspace/git-helpers.ts),
// not by the server: a fork from the server costs it CPU in proportion to its memory (10–17 ms per
// command measured; bench/notes.md) and blocks its event loop until the child has exec'd. The
// helper runs runProcess (process-run.ts) as the server would and sends back the command's pid, its
// output as it arrives (when the caller asked for it) and the result; an abort is sent after it.
//
// No helpers (STINT_GIT_HELPERS=0), or a helper that could not start: runProcess here. A helper that
// dies while it runs a command fails that run (rejects, as a command that could not run); its process
// tree is killed from here, as the run's timeout would have.
import { asBuffer, type HelperTask, sendToHelper } from '../workspace/git-helpers.ts';
import { type ProcessRunOptions, runProcess } from './process-run.ts';
import { killTree } from './process-tree.ts';
import type { RunResult } from './sandbox.ts';

/** A run as the helper gets it: the options that are data, and whether to stream the output. */
export interface RunSpec extends Omit<ProcessRunOptions, 'signal' | 'onOutput' | 'onSpawn'> {
  /** Send each piece of output as it arrives (the caller has an onOutput). */
  stream: boolean;
  /** The caller's signal was already aborted when it asked. */
  aborted: boolean;
}

/** What the server sends a helper about a run: the run, then perhaps its abort. */
export type RunMessage = { id: number; run: RunSpec } | { id: number; abort: true };

/** What the helper sends back: the pid once spawned, output pieces, then a result or an error. */
export type RunReply =
  | { id: number; pid: number }
  | { id: number; chunk: Uint8Array }
  | { id: number; result: RunResult }
  | { id: number; error: string };

/** runProcess, on a helper when there is one. Same contract: rejects only if the run cannot happen. */
export function runSandboxProcess(opts: ProcessRunOptions): Promise<RunResult> {
  const { signal, onOutput, onSpawn, ...rest } = opts;
  return new Promise((resolve, reject) => {
    let pid: number | undefined;
    let id = -1;
    const onAbort = (): void => {
      const abort: RunMessage = { id, abort: true };
      link?.post(abort);
    };
    const task: HelperTask = {
      reply(message) {
        const m = message as RunReply;
        if ('pid' in m) {
          pid = m.pid;
          onSpawn?.(m.pid);
          return false;
        }
        if ('chunk' in m) {
          onOutput?.(asBuffer(m.chunk));
          return false;
        }
        signal?.removeEventListener('abort', onAbort);
        if ('result' in m) resolve(m.result);
        else reject(new Error(m.error));
        return true;
      },
      lost(why, started) {
        signal?.removeEventListener('abort', onAbort);
        // The helper never loaded: it did not see the run.
        if (!started) {
          runProcess(opts).then(resolve, reject);
          return;
        }
        if (pid !== undefined) killTree(pid, opts.graceMs);
        reject(new Error(`Sandbox lost ${opts.describe}: ${why}`));
      },
    };
    const run: RunSpec = { ...rest, stream: onOutput !== undefined, aborted: signal?.aborted === true };
    const link = sendToHelper((n) => {
      id = n;
      return { id: n, run } satisfies RunMessage;
    }, task);
    if (!link) {
      runProcess(opts).then(resolve, reject);
      return;
    }
    if (!run.aborted) signal?.addEventListener('abort', onAbort, { once: true });
  });
}
