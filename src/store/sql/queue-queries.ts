/** Session leases: who works on which session. A claim is one UPDATE ... RETURNING statement. */
import { type Kysely, sql } from 'kysely';
import type { SqlAdapter } from './adapter.ts';
import type { DB } from './schema.ts';
import { tenantHasRoom } from './security-queries.ts';

export async function claimSession(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  owner: string,
  leaseMs: number,
): Promise<string | undefined> {
  const now = adapter.now();
  const row = await db
    .updateTable('sessions')
    .set({ lease_owner: owner, lease_expires_at: now + leaseMs * 1000, lease_epoch: sql`lease_epoch + 1` })
    .where('id', '=', (eb) =>
      eb
        .selectFrom('sessions')
        .select('id')
        .where('wants_work', '=', 1)
        .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
        .where(tenantHasRoom(now))
        .orderBy('update_time', 'asc')
        .limit(1)
        .$if(adapter.capabilities.skipLocked, (q) => q.forUpdate().skipLocked()),
    )
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export async function renewLease(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const res = await db
    .updateTable('sessions')
    .set({ lease_expires_at: adapter.now() + leaseMs * 1000 })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function releaseLease(db: Kysely<DB>, id: string, owner: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function releaseExpiredLeases(db: Kysely<DB>, adapter: SqlAdapter): Promise<number> {
  const res = await db
    .updateTable('sessions')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('lease_owner', 'is not', null)
    .where('lease_expires_at', '<', adapter.now())
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function releaseAllLeases(db: Kysely<DB>): Promise<number> {
  const res = await db
    .updateTable('sessions')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('lease_owner', 'is not', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
