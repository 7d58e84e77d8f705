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
  const rows = await db
    .selectFrom('activities')
    .selectAll()
    .where('session_id', '=', sessionId)
    .$if(page.afterSeq !== undefined, (q) => q.where('seq', '>', page.afterSeq!))
    .$if(page.afterTime !== undefined, (q) => q.where('create_time', '>', page.afterTime!))
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
