import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { Activity, NewActivity } from '../../domain/activity.ts';
import { newActivityId } from '../../domain/ids.ts';
import type { Session, SessionWork } from '../../domain/session.ts';
import type { SessionState } from '../../domain/states.ts';
import { nextActivityTime } from '../../domain/time.ts';
import {
  LeaseLostError,
  type MutateOptions,
  type MutateResult,
  type SessionMutator,
  type SessionPage,
  type SessionRecord,
  type TranscriptEntry,
} from '../store.ts';
import type { SqlAdapter } from './adapter.ts';
import { activityBody, rowToActivity, rowToRecord, rowToSession, sessionToRow } from './rows.ts';
import type { ActivitiesTable, DB, SessionsTable } from './schema.ts';
import { adjustLoad, slotAfter } from './tenant-load.ts';
import { putWorkspaceSnapshot } from './workspace-queries.ts';

/** The lease an append happens under, recorded on each activity (null: not a worker's write). */
interface Writer {
  owner: string | null;
  epoch: number | null;
}
const NO_WRITER: Writer = { owner: null, epoch: null };

/** Appends activities after `count`/`lastTime`, returning the stored activities and the new counters. */
async function appendActivities(
  trx: Kysely<DB>,
  adapter: SqlAdapter,
  sessionId: string,
  count: number,
  lastTime: number,
  items: NewActivity[],
  writer: Writer = NO_WRITER,
): Promise<{ activities: Activity[]; count: number; lastTime: number }> {
  const rows: ActivitiesTable[] = items.map((item) => {
    lastTime = nextActivityTime(adapter.now(), lastTime);
    count += 1;
    return {
      session_id: sessionId,
      seq: count,
      id: newActivityId(),
      create_time: lastTime,
      originator: item.originator,
      kind: item.content.kind,
      body: activityBody(item),
      lease_owner: writer.owner,
      lease_epoch: writer.epoch,
    };
  });
  if (rows.length > 0) await trx.insertInto('activities').values(rows).execute();
  const activities = rows.map(rowToActivity);
  return { activities, count, lastTime };
}

export async function createSession(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  session: Session,
  work: Pick<SessionWork, 'wantsWork'>,
  items: NewActivity[],
): Promise<SessionRecord> {
  return adapter.writeTransaction(db, async (trx) => {
    const row = sessionToRow(session, work);
    row.slot = slotAfter(0, row.state);
    await trx.insertInto('sessions').values(row).execute();
    await adjustLoad(trx, row.tenant_id, row.slot);
    if (items.length > 0) {
      const r = await appendActivities(trx, adapter, session.id, 0, 0, items);
      await trx
        .updateTable('sessions')
        .set({ activity_count: r.count, last_activity_time: r.lastTime })
        .where('id', '=', session.id)
        .execute();
      row.activity_count = r.count;
      row.last_activity_time = r.lastTime;
    }
    return rowToRecord(row);
  });
}

/** The hot read (every GET and poll of a session): its SQL, built once per database. */
const sessionReads = new WeakMap<Kysely<DB>, { byId: string; byTenant: string }>();

export async function getSession(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  id: string,
  tenantId?: string,
): Promise<SessionRecord | undefined> {
  let sql = sessionReads.get(db);
  if (!sql) {
    const byId = db.selectFrom('sessions').selectAll().where('id', '=', '');
    sql = { byId: byId.compile().sql, byTenant: byId.where('tenant_id', '=', '').compile().sql };
    sessionReads.set(db, sql);
  }
  const text = tenantId === undefined ? sql.byId : sql.byTenant;
  const params = tenantId === undefined ? [id] : [id, tenantId];
  // SQLite outside a transaction: the prepared statement, run at once (no driver, no mutex, no hop).
  const now = adapter.readNow?.<Selectable<SessionsTable>>(text, params);
  if (now) return now.row ? rowToRecord(now.row) : undefined;
  // Runs the prepared statement (the driver caches it by SQL text) without building the query anew.
  const { rows } = await db.executeQuery<Selectable<SessionsTable>>(CompiledQuery.raw(text, params));
  const row = rows[0];
  return row ? rowToRecord(row) : undefined;
}

export async function listSessions(db: Kysely<DB>, tenantId: string, page: SessionPage): Promise<Session[]> {
  const rows = await db
    .selectFrom('sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('archived', '=', page.archived ? 1 : 0)
    .$if(page.state !== undefined, (q) => q.where('state', '=', page.state!))
    .$if(page.source !== undefined, (q) => q.where('source', '=', page.source!))
    // `create_time <= t` alone bounds the index range, so a deep page is a seek, not a scan of
    // every newer row; the OR then drops the rows of that instant already returned.
    .$if(page.after !== undefined, (q) =>
      q
        .where('create_time', '<=', page.after!.createTime)
        .where((eb) =>
          eb.or([eb('create_time', '<', page.after!.createTime), eb('id', '<', page.after!.id)]),
        ),
    )
    .orderBy('create_time', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .execute();
  return rows.map(rowToSession);
}

export async function deleteSession(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  id: string,
  tenantId?: string,
): Promise<boolean> {
  return adapter.writeTransaction(db, async (trx) => {
    const gone = await trx
      .deleteFrom('sessions')
      .where('id', '=', id)
      .$if(tenantId !== undefined, (q) => q.where('tenant_id', '=', tenantId!))
      .returning(['tenant_id', 'slot'])
      .executeTakeFirst();
    if (!gone) return false;
    await adjustLoad(trx, gone.tenant_id, -Number(gone.slot));
    await trx.deleteFrom('activities').where('session_id', '=', id).execute();
    return true;
  });
}

export async function mutateSession<T>(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  id: string,
  mutator: SessionMutator<T>,
  opts: MutateOptions = {},
): Promise<MutateResult<T> | undefined> {
  return adapter.writeTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .$if(adapter.capabilities.skipLocked, (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row || (opts.tenantId !== undefined && row.tenant_id !== opts.tenantId)) return undefined;
    if (opts.leaseOwner !== undefined && row.lease_owner !== opts.leaseOwner) throw new LeaseLostError(id);
    const { change, value } = mutator(rowToRecord(row));
    const next: Partial<SessionsTable> = {};
    if (change.state !== undefined) next.state = change.state;
    if (change.title !== undefined) next.title = change.title;
    if (change.archived !== undefined) next.archived = change.archived ? 1 : 0;
    if (change.outputs !== undefined) next.outputs = JSON.stringify(change.outputs);
    if (change.wantsWork !== undefined) next.wants_work = change.wantsWork ? 1 : 0;
    if (change.resumeState !== undefined) next.resume_state = change.resumeState;
    if (change.plan !== undefined) next.plan = JSON.stringify(change.plan);
    if (change.baseCommitId !== undefined) next.base_commit_id = change.baseCommitId;
    if (change.usage !== undefined) next.usage = JSON.stringify(change.usage);
    if (change.lastSeq !== undefined) next.last_seq = change.lastSeq;
    if (change.delivery !== undefined) {
      next.pending_delivery = change.delivery === null ? null : JSON.stringify(change.delivery);
    }
    let activities: Activity[] = [];
    if (change.activities && change.activities.length > 0) {
      const r = await appendActivities(
        trx,
        adapter,
        id,
        Number(row.activity_count),
        Number(row.last_activity_time),
        change.activities,
        opts.leaseOwner === undefined
          ? NO_WRITER
          : { owner: opts.leaseOwner, epoch: Number(row.lease_epoch) },
      );
      activities = r.activities;
      next.activity_count = r.count;
      next.last_activity_time = r.lastTime;
    }
    if (next.state !== undefined) {
      const held = Number(row.slot);
      const slot = slotAfter(held, next.state);
      if (slot !== held) {
        next.slot = slot;
        await adjustLoad(trx, row.tenant_id, slot - held);
      }
    }
    const changed =
      Object.keys(next).length > 0 || change.workspace !== undefined || change.transcript !== undefined;
    if (changed) {
      next.update_time = Math.max(adapter.now(), Number(row.update_time) + 1);
      await trx.updateTable('sessions').set(next).where('id', '=', id).execute();
    }
    if (change.workspace !== undefined) {
      await putWorkspaceSnapshot(trx, id, change.workspace, next.update_time!);
    }
    if (change.transcript !== undefined) await appendTranscript(trx, id, change.transcript);
    const updated = { ...row, ...next };
    return { record: rowToRecord(updated), activities, value: value as T };
  });
}

export async function countSessionsByState(
  db: Kysely<DB>,
  tenantId?: string,
): Promise<Partial<Record<SessionState, number>>> {
  const rows = await db
    .selectFrom('sessions')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .$if(tenantId !== undefined, (q) => q.where('tenant_id', '=', tenantId!))
    .groupBy('state')
    .execute();
  const out: Partial<Record<SessionState, number>> = {};
  for (const r of rows) out[r.state as SessionState] = Number(r.n);
  return out;
}

/** One step of the agent's transcript: appended after the last; a base first drops what it replaces. */
async function appendTranscript(trx: Kysely<DB>, sessionId: string, entry: TranscriptEntry): Promise<void> {
  let seq = 1;
  if (entry.kind === 'base') {
    const last = await trx
      .deleteFrom('session_turns')
      .where('session_id', '=', sessionId)
      .returning('seq')
      .execute();
    seq = last.reduce((m, r) => Math.max(m, Number(r.seq)), 0) + 1;
  } else {
    const last = await trx
      .selectFrom('session_turns')
      .select('seq')
      .where('session_id', '=', sessionId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    seq = Number(last?.seq ?? 0) + 1;
  }
  await trx
    .insertInto('session_turns')
    .values({ session_id: sessionId, seq, kind: entry.kind, body: JSON.stringify(entry.body ?? null) })
    .execute();
}

export async function loadTranscript(db: Kysely<DB>, sessionId: string): Promise<TranscriptEntry[]> {
  const rows = await db
    .selectFrom('session_turns')
    .select(['kind', 'body'])
    .where('session_id', '=', sessionId)
    .orderBy('seq')
    .execute();
  let from = 0;
  rows.forEach((r, i) => {
    if (r.kind === 'base') from = i;
  });
  return rows
    .slice(from)
    .map((r) => ({ kind: r.kind === 'base' ? 'base' : 'delta', body: JSON.parse(r.body) }));
}
