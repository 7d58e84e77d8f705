import { EventEmitter } from 'node:events';
import type { Activity } from '../domain/activity.ts';
import type { Session } from '../domain/session.ts';

export interface SessionChanged {
  session: Session;
  activities: Activity[];
  /** Made by another process and re-announced here (live views follow it; per-process counters skip it). */
  remote?: boolean;
}

/**
 * In-process notifications: the queue wakes on `work`, live views follow `changed`.
 * Only hints: every consumer reads the truth from the store.
 */
export class SessionEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  /** A session wants a worker. */
  emitWork(sessionId: string): void {
    this.#emitter.emit('work', sessionId);
  }

  onWork(listener: (sessionId: string) => void): () => void {
    this.#emitter.on('work', listener);
    return () => this.#emitter.off('work', listener);
  }

  emitChanged(change: SessionChanged): void {
    this.#emitter.emit('changed', change);
  }

  onChanged(listener: (change: SessionChanged) => void): () => void {
    this.#emitter.on('changed', listener);
    return () => this.#emitter.off('changed', listener);
  }

  emitStopped(sessionId: string): void {
    this.#emitter.emit('stopped', sessionId);
  }

  onStopped(listener: (sessionId: string) => void): () => void {
    this.#emitter.on('stopped', listener);
    return () => this.#emitter.off('stopped', listener);
  }
}
