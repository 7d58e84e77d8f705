/**
 * Carries session events between processes sharing a PostgreSQL store. A trigger NOTIFYs
 * `stint_session` on every committed change ({id, state, from, n}: activities from+1..n were
 * appended; or {id, deleted}). This process then
 * - stops a local agent whose session was paused, cancelled or deleted elsewhere (checked against
 *   the store, so a late notification never stops a session that is working again), and
 * - re-emits the change, with the appended activities read from the store, as a local
 *   `changed` event, so live views (SSE, UI) follow writes made by any process.
 * Changes this process made are not repeated: it announced them itself, and their notices name it
 * as the writer (a notice can arrive before the writer's own announcement). A forwarded notice
 * carries only the activities its own commit appended (from+1..n), never later ones, which may be
 * this process's and not yet announced. Events stay hints: consumers read the truth from the store
 * and skip activities whose seq they have already seen.
 */
import type { Activity } from '../../domain/activity.ts';
import { WORKING_STATES } from '../../domain/states.ts';
import type { SessionEvents } from '../../services/events.ts';
import type { Store } from '../../store/store.ts';
import type { PgListener } from './pg-listener.ts';

export const SESSION_CHANNEL = 'stint_session';

export interface EventBridgeOptions {
  /** Re-emit other processes' changes as local `changed` events (processes serving live views). */
  forwardChanges: boolean;
  /** Whether a worker of this process is driving the session now. */
  isDriving: (sessionId: string) => boolean;
  onError: (err: unknown) => void;
}

interface Notice {
  id: string;
  deleted?: boolean;
  state?: string;
  from?: number;
  n?: number;
  /** The writing store's id (`Store.writerId`); absent for writes from outside Stint. */
  writer?: string | null;
}

/** How many sessions' last announced positions are remembered. */
const KNOWN_LIMIT = 10_000;
const PAGE = 100;
const MAX_PAGES = 20;

export class SessionEventBridge {
  readonly #store: Store;
  readonly #events: SessionEvents;
  readonly #opts: EventBridgeOptions;
  readonly #known = new Map<string, { seq: number; updateTime: number }>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #unsubscribe: (() => void)[];

  constructor(store: Store, listener: PgListener, events: SessionEvents, opts: EventBridgeOptions) {
    this.#store = store;
    this.#events = events;
    this.#opts = opts;
    this.#unsubscribe = [
      listener.on(SESSION_CHANNEL, (payload) => this.#receive(payload)),
      events.onChanged((c) => this.#remember(c.session.id, c.session.updateTime, c.activities)),
    ];
  }

  close(): void {
    for (const u of this.#unsubscribe) u();
  }

  /** Resolves once every notification received so far has been handled (for tests). */
  async settled(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  #receive(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return;
    }
    if (typeof notice.id !== 'string') return;
    const id = notice.id;
    // One session's notices are handled in order, so its changes are re-emitted in commit order.
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev
      .then(() => this.#handle(notice))
      .catch((e) => this.#opts.onError(e))
      .finally(() => {
        if (this.#chains.get(id) === next) this.#chains.delete(id);
      });
    this.#chains.set(id, next);
  }

  async #handle(notice: Notice): Promise<void> {
    const stoppedHere =
      this.#opts.isDriving(notice.id) &&
      (notice.deleted || (notice.state !== undefined && !WORKING_STATES.has(notice.state as never)));
    if (stoppedHere) {
      const rec = await this.#store.getSession(notice.id);
      if (!rec || !WORKING_STATES.has(rec.session.state)) this.#events.emitStopped(notice.id);
    }
    if (notice.deleted) {
      this.#known.delete(notice.id);
      return;
    }
    const ours = this.#store.writerId !== undefined && notice.writer === this.#store.writerId;
    if (this.#opts.forwardChanges && !ours) await this.#forward(notice);
  }

  async #forward(notice: Notice): Promise<void> {
    const rec = await this.#store.getSession(notice.id);
    if (!rec) return;
    const known = this.#known.get(notice.id);
    const after = Math.max(notice.from ?? 0, known?.seq ?? 0);
    const upTo = Math.min(notice.n ?? rec.work.activityCount, rec.work.activityCount);
    const activities: Activity[] = [];
    for (let seq = after, page = 0; seq < upTo && page < MAX_PAGES; page++) {
      const got = await this.#store.listActivities(notice.id, { afterSeq: seq, limit: PAGE });
      for (const a of got) if (a.seq <= upTo) activities.push(a);
      if (got.length < PAGE) break;
      seq = got[got.length - 1]!.seq;
    }
    if (activities.length === 0 && known && rec.session.updateTime <= known.updateTime) return;
    this.#events.emitChanged({ session: rec.session, activities, remote: true });
  }

  #remember(id: string, updateTime: number, activities: Activity[]): void {
    const prev = this.#known.get(id);
    const seq = activities.reduce((m, a) => Math.max(m, a.seq), prev?.seq ?? 0);
    this.#known.delete(id);
    this.#known.set(id, { seq, updateTime: Math.max(updateTime, prev?.updateTime ?? 0) });
    if (this.#known.size > KNOWN_LIMIT) this.#known.delete(this.#known.keys().next().value!);
  }
}
