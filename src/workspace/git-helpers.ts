// Where the server's git processes are spawned: in a few small helper processes, not by the server.
// The sandboxes' commands are started there too (src/sandbox/helper-run.ts).
//
// Spawning a child blocks the spawning thread until the child has exec'd (libuv forks, then waits on
// a pipe for the exec to succeed or fail), and the fork copies the spawner's page tables: its CPU
// grows with the spawner's memory (measured here: 10 ms of CPU per git process from a 70 MB process,
// 17 ms from a 370 MB one, under 1 ms of the server's when a helper spawns it; bench/notes.md). On a
// busy machine the new child also waits for a core before it can exec, and a burst of sessions kept
// the server's event loop blocked in spawn() for half of its time. A helper blocks instead, and the
// server goes on serving the API and the other sessions.
//
// STINT_GIT_HELPERS (default 2; STINT_GIT_THREADS is read when it is unset) sets how many; 0 spawns
// in the server. A helper that dies fails the runs it had (as a GitError that says so) and is
// replaced by the next run; one that cannot start at all hands its runs back and git (and the
// sandboxes' commands) are spawned in the server from then on.
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { envInt, type Fail } from '../env-int.ts';
import { type GitOutcome, type SpawnJob, spawnCollect } from './git.ts';
import type { GitErrorInit } from './git-error.ts';
import { busy, forkHelper, idle } from './helper-process.ts';

export interface GitHelperRequest {
  id: number;
  job: SpawnJob;
}

export interface GitHelperReply {
  id: number;
  outcome: GitOutcome;
}

/**
 * One piece of work sent to a helper (a git run, or a sandbox command: src/sandbox/helper-run.ts)
 * and what the sender does with the helper's replies about it, which carry its id.
 */
export interface HelperTask {
  /** A reply about this task; true when it was the last one. */
  reply(message: { id: number }): boolean;
  /**
   * The helper went away before the last reply. `started`: it had loaded, so it may have begun the
   * task; otherwise it never saw it.
   */
  lost(why: string, started: boolean): void;
}

/** Further messages about a task sent (an abort), to the helper that has it. */
export interface HelperLink {
  post(message: { id: number }): void;
}

interface Helper {
  process: ChildProcess;
  pending: Map<number, HelperTask>;
  /** Its module loaded (it said 'ready'). */
  online: boolean;
}

const helpers: (Helper | undefined)[] = [];
let nextId = 0;
let count: number | undefined;

/** STINT_GIT_HELPERS (or STINT_GIT_THREADS) as a number (default: 2, or 1 on one core), or `fail`'s error. */
export function gitHelperCount(env: NodeJS.ProcessEnv, fail: Fail): number {
  const name =
    env.STINT_GIT_HELPERS === undefined && env.STINT_GIT_THREADS !== undefined
      ? 'STINT_GIT_THREADS'
      : 'STINT_GIT_HELPERS';
  return envInt(fail, name, env[name], Math.min(2, availableParallelism()), 0, 64);
}

/**
 * The server sets the count from its validated config (and starts the helpers now, so that its
 * first session does not wait for them); other callers read the environment at their first run.
 */
export function setGitHelpers(n: number, entry: URL = ENTRY): void {
  count = n;
  for (let i = 0; i < n; i++) {
    // Another entry (tests): new helpers; the old ones finish what they have and go.
    if (!helpers[i] || entry !== ENTRY) helpers[i] = startHelper(i, entry);
  }
}

function helperCount(): number {
  count ??= gitHelperCount(process.env, (m) => new Error(m));
  return count;
}

// The helper's entry, as this module is loaded: TypeScript source or tsc's build.
const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './git-helper.ts' : './git-helper.js',
  import.meta.url,
);

// Buffers arrive as plain Uint8Arrays.
export const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);

function startHelper(slot: number, entry: URL = ENTRY): Helper {
  const child = forkHelper(entry);
  const helper: Helper = { process: child, pending: new Map(), online: false };
  child.on('message', (reply: { id: number } | 'ready') => {
    if (reply === 'ready') {
      helper.online = true;
      return;
    }
    const task = helper.pending.get(reply.id);
    if (!task?.reply(reply)) return;
    helper.pending.delete(reply.id);
    if (helper.pending.size === 0) idle(child);
  });
  const fail = (why: string) => {
    if (helpers[slot] === helper) helpers[slot] = undefined;
    // A helper that never started (its module could not load): run here from now on.
    if (!helper.online) count = 0;
    for (const [id, task] of helper.pending) {
      helper.pending.delete(id);
      task.lost(why, helper.online);
    }
  };
  child.on('error', (err) => fail(`the git helper failed: ${err.message}`));
  child.on('exit', (code, signal) => fail(`the git helper exited (${code ?? signal})`));
  // After the listeners: adding a 'message' listener refs the channel again.
  idle(child);
  return helper;
}

/**
 * Sends `request` (given the task's id) to the least busy helper, whose replies go to `task`; undefined
 * when there are no helpers (STINT_GIT_HELPERS=0): the caller runs it here.
 */
export function sendToHelper(
  request: (id: number) => { id: number },
  task: HelperTask,
): HelperLink | undefined {
  const n = helperCount();
  if (n === 0) return undefined;
  let slot = 0;
  for (let i = 0; i < n; i++) {
    helpers[i] ??= startHelper(i);
    if (helpers[i]!.pending.size < helpers[slot]!.pending.size) slot = i;
  }
  const helper = helpers[slot]!;
  const id = nextId++;
  if (helper.pending.size === 0) busy(helper.process);
  helper.pending.set(id, task);
  const post = (message: { id: number }): void => {
    // A helper that has just died: 'exit' fails the task with the others it had.
    if (!helper.process.connected) return;
    helper.process.send(message, (err) => {
      if (err) helper.process.kill();
    });
  };
  post(request(id));
  return { post };
}

/** The pids of the running helpers (tests). */
export function helperPids(): number[] {
  return helpers.flatMap((h) => (h?.process.pid === undefined ? [] : [h.process.pid]));
}

/**
 * Runs the job on the least busy git helper (or here, with STINT_GIT_HELPERS=0). Its environment is
 * computed by the caller: the calling thread's as it is now.
 */
export function runOnGitHelper(job: SpawnJob): Promise<GitOutcome> {
  return new Promise((resolve) => {
    const task: HelperTask = {
      reply(message) {
        const o = (message as GitHelperReply).outcome;
        if (o.ok) resolve({ ...o, stdout: asBuffer(o.stdout) });
        else resolve(o.partialStdout ? { ...o, partialStdout: asBuffer(o.partialStdout) } : o);
        return true;
      },
      lost(why, started) {
        // Never started (its module could not load): run it here; the helper had not begun it.
        if (!started) {
          spawnCollect(job).then(resolve);
          return;
        }
        // It may have started git: running it again could repeat what git did (a push).
        const error: GitErrorInit = {
          args: job.args,
          exitCode: null,
          stderr: '',
          reason: 'spawn',
          detail: why,
        };
        resolve({ ok: false, error });
      },
    };
    const link = sendToHelper((id): GitHelperRequest => ({ id, job }), task);
    if (!link) spawnCollect(job).then(resolve);
  });
}
