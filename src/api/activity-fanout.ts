/**
 * Many subscribers of one session's stream wake on the same change and ask for the same page.
 * This collapses identical concurrent reads (same tenant, session and cursor) into one store
 * query whose serialised events every subscriber shares, so one activity costs one read and one
 * JSON.stringify however many clients follow the session.
 */
import { isTerminalActivity } from '../domain/activity.ts';
import type { Principal, SessionService } from '../services/session-service.ts';
import { activityResource } from './resources.ts';

export interface StreamEvent {
  id: string;
  seq: number;
  terminal: boolean;
  data: string;
}

export class ActivityFanout {
  readonly #inFlight = new Map<string, Promise<StreamEvent[]>>();
  readonly #sessions: SessionService;

  constructor(sessions: SessionService) {
    this.#sessions = sessions;
  }

  /** The next page of events after `afterSeq`, shared with every identical read under way. */
  page(who: Principal, sessionId: string, afterSeq: number, limit: number): Promise<StreamEvent[]> {
    const key = `${who.tenantId}\n${sessionId}\n${afterSeq}\n${limit}`;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#sessions
        .listActivities(who, sessionId, { afterSeq, limit })
        .then((page) =>
          page.map((a) => ({
            id: a.id,
            seq: a.seq,
            terminal: isTerminalActivity(a),
            data: JSON.stringify(activityResource(a)),
          })),
        )
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }
}
