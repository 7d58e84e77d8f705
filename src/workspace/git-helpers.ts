// Where the server's git processes are spawned: on a few worker threads, not on the event loop.
//
// Spawning a child blocks the spawning thread until the child has exec'd (libuv forks, then waits on
// a pipe for the exec to succeed or fail). On an idle machine that is a few ms; on a busy one the new
// child waits for a core before it can exec, and a burst of sessions (six git processes each) kept
// the server's event loop blocked in spawn() for half of its time (bench/notes.md). A git thread
// blocks instead, and the event loop goes on serving the API and the other sessions.
//
// STINT_GIT_THREADS (default 2) sets how many; 0 spawns on the calling thread. A thread that dies
// fails the runs it had (as a GitError that says so) and is replaced by the next run; one that
// cannot start at all hands its runs back and git is spawned on the calling thread from then on.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { envInt, type Fail } from '../env-int.ts';
import { type GitOutcome, type SpawnJob, spawnCollect } from './git.ts';
import type { GitErrorInit } from './git-error.ts';

export interface GitThreadRequest {
  id: number;
  job: SpawnJob;
}

export interface GitThreadReply {
  id: number;
  outcome: GitOutcome;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { job: SpawnJob; resolve: (o: GitOutcome) => void }>;
  /** Its module loaded (it said 'ready'). */
  online: boolean;
}

const threads: (Thread | undefined)[] = [];
let nextId = 0;
let count: number | undefined;

/** STINT_GIT_THREADS as a number (default: 2, or 1 on one core), or `fail`'s error. */
export function gitThreadCount(env: NodeJS.ProcessEnv, fail: Fail): number {
  return envInt(fail, 'STINT_GIT_THREADS', env.STINT_GIT_THREADS, Math.min(2, availableParallelism()), 0, 64);
}

/**
 * The server sets the count from its validated config (and starts the threads now, so that its
 * first session does not wait for them); other callers read the environment at their first run.
 */
export function setGitThreads(n: number, entry: URL = ENTRY): void {
  count = n;
  for (let i = 0; i < n; i++) {
    // Another entry (tests): new threads; the old ones finish what they have and go.
    if (!threads[i] || entry !== ENTRY) threads[i] = startThread(i, entry);
  }
}

function threadCount(): number {
  count ??= gitThreadCount(process.env, (m) => new Error(m));
  return count;
}

// The worker's entry, as this module is loaded: TypeScript source or tsc's build.
const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './git-thread.ts' : './git-thread.js',
  import.meta.url,
);

// Buffers arrive as plain Uint8Arrays.
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);

function startThread(slot: number, entry: URL = ENTRY): Thread {
  const worker = new Worker(entry, { stdout: false, stderr: false });
  const thread: Thread = { worker, pending: new Map(), online: false };
  worker.on('message', (reply: GitThreadReply | 'ready') => {
    if (reply === 'ready') {
      thread.online = true;
      return;
    }
    const job = thread.pending.get(reply.id);
    if (!job) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) worker.unref();
    const o = reply.outcome;
    if (o.ok) job.resolve({ ...o, stdout: asBuffer(o.stdout) });
    else job.resolve(o.partialStdout ? { ...o, partialStdout: asBuffer(o.partialStdout) } : o);
  });
  const fail = (why: string) => {
    if (threads[slot] === thread) threads[slot] = undefined;
    // A thread that never started (its module could not load here): spawn on this thread from now
    // on, and run what it was sent here; none of it had started.
    if (!thread.online) count = 0;
    for (const [id, job] of thread.pending) {
      thread.pending.delete(id);
      if (!thread.online) {
        spawnCollect(job.job).then(job.resolve);
        continue;
      }
      // It may have started git: running it again could repeat what git did (a push).
      const error: GitErrorInit = {
        args: job.job.args,
        exitCode: null,
        stderr: '',
        reason: 'spawn',
        detail: why,
      };
      job.resolve({ ok: false, error });
    }
  };
  worker.on('error', (err) => fail(`the git thread failed: ${err.message}`));
  worker.on('exit', (code) => fail(`the git thread exited (${code})`));
  // After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  return thread;
}

/**
 * Runs the job on the least busy git thread (or here, with STINT_GIT_THREADS=0). Its environment is
 * computed by the caller: the calling thread's as it is now.
 */
export function runOnGitThread(job: SpawnJob): Promise<GitOutcome> {
  const n = threadCount();
  if (n === 0) return spawnCollect(job);
  let slot = 0;
  for (let i = 0; i < n; i++) {
    threads[i] ??= startThread(i);
    if (threads[i]!.pending.size < threads[slot]!.pending.size) slot = i;
  }
  const thread = threads[slot]!;
  const id = nextId++;
  return new Promise((resolve) => {
    if (thread.pending.size === 0) thread.worker.ref();
    thread.pending.set(id, { job, resolve });
    const request: GitThreadRequest = { id, job };
    thread.worker.postMessage(request);
  });
}
