import type { Kysely } from 'kysely';
import type { Activity } from '../../domain/activity.ts';
import type { ActivityPage } from '../store.ts';
import { rowToActivity } from './rows.ts';
import type { DB } from './schema.ts';

export async function listActivities(
  db: Kysely<DB>,
  sessionId: string,
  page: ActivityPage,
): Promise<Activity[]> {
  let afterSeq = page.afterSeq ?? 0;
  if (page.afterTime !== undefined) {
    // createTime grows with seq, so "later than T" is "seq above the last one at or before T":
    // one seek on (session_id, create_time), then a primary-key range, whatever the session's size.
    const last = await db
      .selectFrom('activities')
      .select('seq')
      .where('session_id', '=', sessionId)
      .where('create_time', '<=', page.afterTime)
      .orderBy('create_time', 'desc')
      .limit(1)
      .executeTakeFirst();
    afterSeq = Math.max(afterSeq, last ? Number(last.seq) : 0);
  }
  const rows = await db
    .selectFrom('activities')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(page.limit)
    .execute();
  return rows.map(rowToActivity);
}

export async function getActivity(
  db: Kysely<DB>,
  sessionId: string,
  activityId: string,
): Promise<Activity | undefined> {
  const row = await db
    .selectFrom('activities')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('id', '=', activityId)
    .executeTakeFirst();
  return row ? rowToActivity(row) : undefined;
}
