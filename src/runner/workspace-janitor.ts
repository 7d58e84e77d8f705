/**
 * Removes workspaces nobody needs any more: the checkouts of deleted sessions at once, those of
 * finished ones once the retention time has passed; empties idle warm pools and unpins the base
 * commits no session needs any more in the mirrors. Runs at start, every minute, and soon after a session
 * is stopped (deleted, cancelled).
 */
import { isTerminal } from '../domain/states.ts';
import type { RunnerDeps } from './runner-deps.ts';

export interface JanitorOptions {
  /** Whether this process is driving the session now (its checkout is in use). */
  isDriving(sessionId: string): boolean;
  intervalMs?: number;
}

export class WorkspaceJanitor {
  readonly #deps: RunnerDeps;
  readonly #opts: JanitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(deps: RunnerDeps, opts: JanitorOptions) {
    this.#deps = deps;
    this.#opts = opts;
  }

  async start(): Promise<void> {
    await this.#deps.repos.workspaces.start();
    this.#unsubscribe = this.#deps.events.onStopped((id) => {
      const t = setTimeout(() => void this.#guard(() => this.#check(id)), 1000);
      t.unref();
    });
    this.#timer = setInterval(() => void this.sweep(), this.#opts.intervalMs ?? 60_000);
    this.#timer.unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#sweeping;
    await this.#deps.repos.workspaces.close();
  }

  /** One pass over every workspace (concurrent calls share the pass). */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#guard(() => this.#sweep()).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const { workspaces } = this.#deps.repos;
    for (const id of await workspaces.sessionIds()) {
      if (this.#stopped) return;
      await this.#check(id);
    }
    await workspaces.pool.sweep();
    await workspaces.prunePins(); // from the store's pin counts: no lookup per pin
  }

  async #check(sessionId: string): Promise<void> {
    const { store, repos } = this.#deps;
    await repos.workspaces.removeIf(sessionId, async () => {
      if (this.#opts.isDriving(sessionId)) return false;
      const rec = await store.getSession(sessionId);
      if (!rec) return true;
      if (!isTerminal(rec.session.state) || rec.work.wantsWork) return false;
      return Date.now() - rec.session.updateTime / 1000 >= repos.config.retentionMs;
    });
  }

  async #guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.#deps.log.warn({ err: e }, 'cleaning up workspaces failed');
    }
  }
}
