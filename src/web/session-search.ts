/**
 * One page of the sessions list. State, source and archived filter in the store; a title search
 * filters what the store returns, scanning at most `maxScan` sessions per page so a rare word in a
 * long history costs a bounded amount. The cursor is the last session looked at, so paging on
 * continues exactly where the scan stopped.
 */
import type { Session } from '../domain/session.ts';
import type { SessionState } from '../domain/states.ts';
import type { Micros } from '../domain/time.ts';
import type { Principal, SessionService } from '../services/session-service.ts';

export interface SearchQuery {
  title: string;
  state?: SessionState | undefined;
  source?: string | undefined;
  archived: boolean;
  after?: { createTime: Micros; id: string } | undefined;
  pageSize: number;
}

export interface SearchPage {
  sessions: Session[];
  /** Where the next page starts, when there may be more. */
  next?: { createTime: Micros; id: string } | undefined;
  /** The scan stopped at its budget before filling the page. */
  cut: boolean;
}

const BATCH = 100;

export async function searchSessions(
  sessions: SessionService,
  who: Principal,
  q: SearchQuery,
  maxScan = 2000,
): Promise<SearchPage> {
  const needle = q.title.trim().toLocaleLowerCase();
  const base = {
    archived: q.archived,
    ...(q.state ? { state: q.state } : {}),
    ...(q.source ? { source: q.source } : {}),
  };
  if (needle === '') {
    const rows = await sessions.list(who, {
      ...base,
      limit: q.pageSize + 1,
      ...(q.after ? { after: q.after } : {}),
    });
    const page = rows.slice(0, q.pageSize);
    const last = page[page.length - 1];
    return {
      sessions: page,
      next: rows.length > q.pageSize && last ? { createTime: last.createTime, id: last.id } : undefined,
      cut: false,
    };
  }
  const found: Session[] = [];
  let after = q.after;
  let scanned = 0;
  for (;;) {
    const rows = await sessions.list(who, { ...base, limit: BATCH, ...(after ? { after } : {}) });
    for (const s of rows) {
      scanned++;
      after = { createTime: s.createTime, id: s.id };
      if (s.title.toLocaleLowerCase().includes(needle)) {
        if (found.length === q.pageSize) {
          // One more match exists: the next page starts after the last one shown.
          const last = found[found.length - 1]!;
          return { sessions: found, next: { createTime: last.createTime, id: last.id }, cut: false };
        }
        found.push(s);
      }
    }
    if (rows.length < BATCH) return { sessions: found, next: undefined, cut: false };
    if (scanned >= maxScan) return { sessions: found, next: after, cut: true };
  }
}
