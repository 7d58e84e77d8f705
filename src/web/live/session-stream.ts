/**
 * The session page's live feed (server-sent events). Each pass reads the truth from the services: the
 * session, then activities after the last one sent (each an `activity` event whose id is its seq, so a
 * reconnecting browser resumes exactly), then any page region whose markup changed (`session`).
 * Passes run when SessionEvents says the session changed and, as a fallback for writes made by
 * another process, every `pollMs`.
 */
import type { ServerResponse } from 'node:http';
import type { Activity } from '../../domain/activity.ts';
import { isStintError } from '../../domain/errors.ts';
import { isTerminal } from '../../domain/states.ts';
import type { SessionEvents } from '../../services/events.ts';
import type { Principal, SessionService } from '../../services/session-service.ts';
import { STATE_LABELS } from '../views/format.ts';
import { REGION_NAMES, type RegionContext, type RegionName, renderRegion } from '../views/session-regions.ts';
import { activityItem } from '../views/timeline.ts';

export interface LiveStreamOptions {
  pollMs: number;
  heartbeatMs: number;
  maxStreams: number;
  batch: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveStreamOptions = {
  pollMs: 800,
  heartbeatMs: 15_000,
  maxStreams: 2000,
  batch: 100,
};

export interface StreamRequest {
  who: Principal;
  sessionId: string;
  afterSeq: number;
  /** Region revisions the page already shows. */
  revs: Map<string, string>;
  csrf: string;
}

export class LiveStreams {
  readonly #sessions: SessionService;
  readonly #events: SessionEvents;
  readonly #opts: LiveStreamOptions;
  readonly #open = new Set<() => void>();

  constructor(sessions: SessionService, events: SessionEvents, opts: Partial<LiveStreamOptions> = {}) {
    this.#sessions = sessions;
    this.#events = events;
    this.#opts = { ...DEFAULT_LIVE_OPTIONS, ...opts };
  }

  get full(): boolean {
    return this.#open.size >= this.#opts.maxStreams;
  }

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }

  /** Runs one stream on an already hijacked response until the client leaves or the session ends. */
  async run(res: ServerResponse, req: StreamRequest): Promise<void> {
    const { who, sessionId } = req;
    let closed = false;
    let pending = false;
    let wakeUp: (() => void) | undefined;
    const wake = () => {
      pending = true;
      wakeUp?.();
    };
    const close = () => {
      closed = true;
      wake();
    };
    const offChanged = this.#events.onChanged((c) => {
      if (c.session.id === sessionId) wake();
    });
    const offStopped = this.#events.onStopped((id) => {
      if (id === sessionId) wake();
    });
    res.on('close', close);
    this.#open.add(close);
    const heartbeat = setInterval(() => void write(': ping\n\n'), this.#opts.heartbeatMs);

    const write = async (chunk: string) => {
      if (closed || res.writableEnded) return;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    };
    const send = (event: string, data: unknown, id?: number) =>
      write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const sleep = async (ms: number) => {
      if (pending || closed) {
        pending = false;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      wakeUp = undefined;
      pending = false;
    };

    const known = new Map(req.revs);
    let afterSeq = req.afterSeq;
    let failureReason: string | undefined;
    let outputsMemo: { key: string; rev: string; html: string } | undefined;
    try {
      await write('retry: 2000\n\n');
      while (!closed) {
        let session: Awaited<ReturnType<SessionService['get']>>;
        let activities: Activity[];
        try {
          session = await this.#sessions.get(who, sessionId);
          activities = await this.#sessions.listActivities(who, sessionId, {
            afterSeq,
            limit: this.#opts.batch,
          });
        } catch (e) {
          if (isStintError(e) && e.status === 'NOT_FOUND') {
            await send('gone', {});
            break;
          }
          throw e;
        }
        for (const a of activities) {
          if (a.content.kind === 'sessionFailed') failureReason = a.content.reason;
          await send('activity', { seq: a.seq, html: activityItem(a).toString() }, a.seq);
          afterSeq = a.seq;
        }
        const ctx: RegionContext = { session, csrf: req.csrf, failureReason };
        const changed: Record<string, { rev: string; html: string }> = {};
        for (const name of REGION_NAMES) {
          let r: { rev: string; html: string };
          if (name === 'outputs') {
            outputsMemo = memoOutputs(ctx, outputsMemo);
            r = outputsMemo;
          } else r = renderRegion(name, ctx);
          if (known.get(name) !== r.rev) {
            changed[name] = { rev: r.rev, html: r.html };
            known.set(name, r.rev);
          }
        }
        if (Object.keys(changed).length > 0) {
          await send('session', {
            state: session.state,
            stateLabel: STATE_LABELS[session.state],
            regions: changed,
          });
        }
        const drained = activities.length < this.#opts.batch;
        if (drained && isTerminal(session.state)) {
          await send('end', { state: session.state });
          break;
        }
        if (drained) await sleep(this.#opts.pollMs);
      }
    } finally {
      clearInterval(heartbeat);
      offChanged();
      offStopped();
      res.off('close', close);
      this.#open.delete(close);
      if (!res.writableEnded) res.end();
    }
  }
}

/** The diff region only changes with the outputs; rendering a large diff on every pass would be waste. */
function memoOutputs(
  ctx: RegionContext,
  memo: { key: string; rev: string; html: string } | undefined,
): { key: string; rev: string; html: string } {
  const key = `${ctx.session.outputs.length}:${JSON.stringify(ctx.session.outputs)}`;
  if (memo && memo.key === key) return memo;
  return { key, ...renderRegion('outputs' satisfies RegionName, ctx) };
}
