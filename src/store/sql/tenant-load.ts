/**
 * Working slots per tenant: a counter row per tenant (`tenant_load`), changed in the transaction that
 * changes a session's slot, so a claim checks a tenant's room with one row, whatever its queue.
 * A session holds a slot from the claim that starts it (or from entering PLANNING / IN_PROGRESS)
 * until it leaves the working states (waits for a person, ends, or is deleted).
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from './schema.ts';

const DEFAULT_WORKING_KEY = 'default_max_working_sessions';
const RUNNING = new Set(['PLANNING', 'IN_PROGRESS']);

/** The slot a session holds after a change to `state` (0 or 1), given the one it held. */
export function slotAfter(held: number, state: string): number {
  if (RUNNING.has(state)) return 1;
  return state === 'QUEUED' ? held : 0;
}

/** Adds delta (+1 / -1) to the tenant's count of working sessions. */
export async function adjustLoad(trx: Kysely<DB>, tenantId: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await trx
    .insertInto('tenant_load')
    .values({ tenant_id: tenantId, working: Math.max(0, delta) })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({
        working: sql`case when tenant_load.working + ${delta} < 0 then 0 else tenant_load.working + ${delta} end`,
      }),
    )
    .execute();
}

/**
 * Takes one of the tenant's slots if it has room under `limit` (0: unlimited): one conditional
 * upsert of its counter row, which concurrent claimers on PostgreSQL serialise on, so they never
 * overshoot. True when taken.
 */
export async function takeSlot(trx: Kysely<DB>, tenantId: string, limit: number): Promise<boolean> {
  const row = await trx
    .insertInto('tenant_load')
    .values({ tenant_id: tenantId, working: 1 })
    .onConflict((oc) =>
      oc
        .column('tenant_id')
        .doUpdateSet({ working: sql`tenant_load.working + 1` })
        .where(sql<boolean>`${limit} = 0 or tenant_load.working < ${limit}`),
    )
    .returning('working')
    .executeTakeFirst();
  return row !== undefined;
}

/** SQL: the working limit of the tenant `tenantId` (an SQL expression naming a tenant id); 0: none. */
export function tenantLimit(tenantId: ReturnType<typeof sql>) {
  return sql<number>`coalesce(
    (select t.max_working_sessions from tenants t where t.id = ${tenantId}),
    (select cast(m.value as integer) from meta m where m.key = ${DEFAULT_WORKING_KEY}),
    0)`;
}

export async function workingSessions(db: Kysely<DB>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('tenant_load')
    .select('working')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return Number(row?.working ?? 0);
}
