import type { Session } from '../domain/session.ts';
import type { Micros } from '../domain/time.ts';

/** Sessions in the order they last changed, for the server-wide session stream. */
export interface SessionFeedStore {
  /** A tenant's sessions changed after `after` ((updateTime, id) order), oldest change first. */
  changedAfter(tenantId: string, after: { time: Micros; id?: string }, limit: number): Promise<Session[]>;
}
