/** Workspace snapshots: a session's working tree as of its last committed step. */
import type { Kysely } from 'kysely';
import type { WorkspaceSnapshot } from '../store.ts';
import type { DB } from './schema.ts';

export async function putWorkspaceSnapshot(
  trx: Kysely<DB>,
  sessionId: string,
  snap: WorkspaceSnapshot,
  updateTime: number,
): Promise<void> {
  const row = {
    session_id: sessionId,
    base_commit_id: snap.baseCommitId,
    tree_id: snap.treeId,
    patch: snap.patch,
    update_time: updateTime,
  };
  await trx
    .insertInto('workspace_snapshots')
    .values(row)
    .onConflict((oc) =>
      oc.column('session_id').doUpdateSet({
        base_commit_id: row.base_commit_id,
        tree_id: row.tree_id,
        patch: row.patch,
        update_time: row.update_time,
      }),
    )
    .execute();
}

export async function getWorkspaceSnapshot(
  db: Kysely<DB>,
  sessionId: string,
): Promise<WorkspaceSnapshot | undefined> {
  const row = await db
    .selectFrom('workspace_snapshots')
    .select(['base_commit_id', 'tree_id', 'patch'])
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row ? { baseCommitId: row.base_commit_id, treeId: row.tree_id, patch: row.patch } : undefined;
}
