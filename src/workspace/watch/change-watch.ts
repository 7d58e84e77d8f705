// The server's side of the change watcher: one forked process (src/workspace/watch/watch-process.ts)
// watching the checkouts that run commands, so that a command's change set and the checkout's
// reset look only at the paths it touched (src/runner/feed-sandbox.ts, src/workspace/server-git.ts).
//
// STINT_CHANGE_WATCH=off turns it off: every command then drops the change feed, and the next change
// set walks the whole tree. Anything going wrong (the process cannot start or dies, a journal
// is unknown) answers "not known", which has the same effect; nothing here can make a change set
// miss a change the walk would see, within the limits of inotify (tree-watches.ts).
import type { ChildProcess } from 'node:child_process';
import { fsmonitorHookUsable } from '../fsmonitor/agent-hook.ts';
import { busy, forkHelper, idle } from '../helper-process.ts';
import type { Journal } from './tree-watches.ts';

export type { Journal } from './tree-watches.ts';

export interface WatchRequest {
  id: number;
  op: 'begin' | 'take' | 'forget';
  root: string;
  /** begin: the checkout's server git dir, to answer the agent's fsmonitor hook from. */
  gitDir?: string;
}

export interface WatchReply {
  id: number;
  ok?: boolean;
  journal?: Journal;
  error?: string;
}

/** What the runner and the workspace need of a watcher. */
export interface ChangeWatch {
  /**
   * Watches `root` (from now on) and clears its journal; false: it cannot be watched. With `gitDir`
   * (the checkout's server git dir) it also answers the agent's fsmonitor hook
   * (src/workspace/fsmonitor/agent-hook.ts).
   */
  begin(root: string, gitDir?: string): Promise<boolean>;
  /** What changed under `root` since `begin`, or undefined when that is not known. */
  take(root: string): Promise<Journal | undefined>;
  /** Stops watching `root` (before it is removed or rewritten in whole). */
  forget(root: string): Promise<void>;
}

/** A watcher that never knows: every command drops the change feed. */
export const NO_WATCH: ChangeWatch = {
  begin: async () => false,
  take: async () => undefined,
  forget: async () => undefined,
};

const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './watch-process.ts' : './watch-process.js',
  import.meta.url,
);

interface Running {
  process: ChildProcess;
  pending: Map<number, (reply: WatchReply | undefined) => void>;
  /** Its module loaded: false means it could not start, and it is not started again. */
  online: boolean;
}

/** The watcher process, started at the first request and again after it dies. */
export class ProcessChangeWatch implements ChangeWatch {
  #running: Running | undefined;
  #broken = false;
  #nextId = 0;
  readonly #entry: URL;

  constructor(entry: URL = ENTRY) {
    this.#entry = entry;
  }

  async begin(root: string, gitDir?: string): Promise<boolean> {
    return (await this.#ask('begin', root, gitDir))?.ok === true;
  }

  async take(root: string): Promise<Journal | undefined> {
    return (await this.#ask('take', root))?.journal;
  }

  async forget(root: string): Promise<void> {
    await this.#ask('forget', root);
  }

  /** Stops the process (tests; the server's exit closes the channel anyway). */
  close(): void {
    this.#running?.process.kill();
    this.#running = undefined;
  }

  /** The process's pid (tests, benches). */
  get pid(): number | undefined {
    return this.#running?.process.pid;
  }

  #ask(op: WatchRequest['op'], root: string, gitDir?: string): Promise<WatchReply | undefined> {
    if (this.#broken) return Promise.resolve(undefined);
    this.#running ??= this.#start();
    const running = this.#running;
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (running.pending.size === 0) busy(running.process);
      running.pending.set(id, (reply) => resolve(reply?.error === undefined ? reply : undefined));
      const req: WatchRequest = gitDir === undefined ? { id, op, root } : { id, op, root, gitDir };
      running.process.send(req, (err) => {
        if (err) running.process.kill();
      });
    });
  }

  #start(): Running {
    const child = forkHelper(this.#entry);
    const running: Running = { process: child, pending: new Map(), online: false };
    child.on('message', (reply: WatchReply | 'ready') => {
      if (reply === 'ready') {
        running.online = true;
        return;
      }
      const done = running.pending.get(reply.id);
      if (!done) return;
      running.pending.delete(reply.id);
      if (running.pending.size === 0) idle(child);
      done(reply);
    });
    const fail = () => {
      if (this.#running === running) this.#running = undefined;
      // It never started (its module could not load): no watcher from now on.
      if (!running.online) this.#broken = true;
      for (const done of running.pending.values()) done(undefined);
      running.pending.clear();
    };
    child.on('error', fail);
    child.on('exit', fail);
    idle(child);
    return running;
  }
}

/** STINT_CHANGE_WATCH: `on` (default) or `off`, as a boolean. */
export function changeWatchEnabled(value: string | undefined, fail: (message: string) => Error): boolean {
  const v = (value ?? 'on').trim().toLowerCase();
  if (v === 'on' || v === '1' || v === 'true') return true;
  if (v === 'off' || v === '0' || v === 'false') return false;
  throw fail(`STINT_CHANGE_WATCH must be on or off, got ${JSON.stringify(value)}`);
}

/** The process's shared watcher when enabled, else NO_WATCH. */
export function changeWatchFor(enabled: boolean): ChangeWatch {
  return enabled ? shared() : NO_WATCH;
}

let sharedWatch: ProcessChangeWatch | undefined;
// One watcher process per server: every checkout of the process shares it.
function shared(): ProcessChangeWatch {
  sharedWatch ??= new ProcessChangeWatch();
  return sharedWatch;
}

let current: ChangeWatch | undefined;

/** The server sets the watcher from its validated config; other callers get the environment's. */
export function setChangeWatch(watch: ChangeWatch): void {
  current = watch;
}

/** Whether agents' .git get the fsmonitor hook: a watcher answers it, and perl can run it. */
export function fsmonitorHooked(): boolean {
  return changeWatch() !== NO_WATCH && fsmonitorHookUsable();
}

/** The process's change watcher (runner and workspace share it). */
export function changeWatch(): ChangeWatch {
  current ??= changeWatchFor(changeWatchEnabled(process.env.STINT_CHANGE_WATCH, (m) => new Error(m)));
  return current;
}
