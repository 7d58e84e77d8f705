/** Options and request helpers shared by the live streams. */
import { invalidArgument } from '../domain/errors.ts';
import type { SessionEvents } from '../services/events.ts';
import type { SessionFeedStore } from '../store/session-feed-store.ts';
import type { SseStream } from './sse.ts';

export interface StreamOptions {
  events: SessionEvents;
  feed: SessionFeedStore;
  heartbeatMs: number;
  /** Longest wait before re-reading the store without an in-process wake-up. */
  pollMs: number;
  /** Open streams (closed at shutdown, counted by metrics). */
  open: Set<SseStream>;
}

/** The resume point: the Last-Event-ID header, or a `lastEventId` query parameter (for clients that cannot set headers). */
export function lastEventId(
  headers: Record<string, unknown>,
  query: Record<string, unknown>,
): string | undefined {
  const h = headers['last-event-id'];
  const v = typeof h === 'string' && h !== '' ? h : query.lastEventId;
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 200) throw invalidArgument('Last-Event-ID is not valid.');
  return v;
}
