/** Session leases: who works on which session. A claim is one UPDATE ... RETURNING statement. */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Backoff, DEFAULT_BACKOFF, type ReleaseOutcome } from '../store.ts';
import type { SqlAdapter } from './adapter.ts';
import type { DB } from './schema.ts';
import { takeSlot, tenantLimit } from './tenant-load.ts';

/** What a session whose worker dies mid-attempt leaves: the claim's pessimistic last error. */
export const WORKER_LOST = 'The worker running the session stopped before the attempt ended.';

/**
 * The backoff (µs) before attempt `n + 1`, where `n` is an SQL integer expression of the attempts
 * so far (n >= 1): baseMs * 2^(n-1), at most maxMs. Plain integer arithmetic both dialects share.
 */
function backoffMicros(n: RawBuilder<unknown>, b: Backoff): RawBuilder<number> {
  let cap = 0;
  while (b.baseMs * 2 ** cap < b.maxMs && cap < 40) cap++;
  const base = Math.max(1, Math.round(b.baseMs * 1000));
  const max = Math.max(base, Math.round(b.maxMs * 1000));
  return sql<number>`(case when ${n} - 1 >= ${cap} then cast(${max} as bigint)
    when ${n} <= 1 then cast(${base} as bigint)
    else cast(${base} as bigint) * (cast(1 as bigint) << (${n} - 1)) end)`;
}

interface Candidate {
  id: string;
  tenant_id: string;
  update_time: number;
  /** Whether claiming it takes a slot of its tenant (a QUEUED session not yet started). */
  needsSlot: boolean;
  limit: number;
}

/**
 * Claims the session that has waited longest among those a worker may take now: sessions that hold
 * their slot or are past QUEUED (never held back), and, per tenant with room, its oldest QUEUED
 * session. The second set is found by walking the distinct tenants with waiting sessions (an index
 * skip-scan) and reading one counter row each, so a tenant at its limit with 10,000 queued sessions
 * costs the claim one row, not 10,000 (nor a count per candidate).
 */
export async function claimSession(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  owner: string,
  leaseMs: number,
  backoff: Backoff = DEFAULT_BACKOFF,
): Promise<string | undefined> {
  const locking = adapter.capabilities.skipLocked;
  const lock = locking ? sql` for update skip locked` : sql``;
  return adapter.writeTransaction(db, async (trx) => {
    const now = adapter.now();
    const free = sql`(lease_expires_at is null or lease_expires_at < ${now}) and (run_at is null or run_at <= ${now})`;
    const runnable = await sql<Omit<Candidate, 'needsSlot' | 'limit'>>`
      select id, tenant_id, update_time from sessions
      where wants_work = 1 and (state <> 'QUEUED' or slot = 1) and ${free}
      order by update_time limit 1${lock}`.execute(trx);
    const waiting = await sql<Omit<Candidate, 'needsSlot'>>`
      with recursive wt(tenant_id) as (
        select min(tenant_id) from sessions where wants_work = 1 and state = 'QUEUED' and slot = 0
        union all
        select (select min(s.tenant_id) from sessions s
                where s.wants_work = 1 and s.state = 'QUEUED' and s.slot = 0 and s.tenant_id > wt.tenant_id)
        from wt where wt.tenant_id is not null
      ),
      roomy as (
        select wt.tenant_id, ${tenantLimit(sql`wt.tenant_id`)} as "limit" from wt where wt.tenant_id is not null
      )
      select c.id, c.tenant_id, c.update_time, r."limit" from roomy r
      join sessions c on c.id = (
        select s.id from sessions s
        where s.tenant_id = r.tenant_id and s.wants_work = 1 and s.state = 'QUEUED' and s.slot = 0
          and (s.lease_expires_at is null or s.lease_expires_at < ${now})
          and (s.run_at is null or s.run_at <= ${now})
        order by s.update_time limit 1${lock})
      where r."limit" = 0
        or coalesce((select l.working from tenant_load l where l.tenant_id = r.tenant_id), 0) < r."limit"`.execute(
      trx,
    );
    const candidates: Candidate[] = [
      ...runnable.rows.map((r) => ({ ...r, needsSlot: false, limit: 0 })),
      ...waiting.rows.map((r) => ({ ...r, needsSlot: true, limit: Number(r.limit) })),
    ].sort((a, b) => Number(a.update_time) - Number(b.update_time));
    for (const c of candidates) {
      // Concurrent claimers (PostgreSQL) serialise on the counter row: only one takes the last slot.
      if (c.needsSlot && !(await takeSlot(trx, c.tenant_id, c.limit))) continue;
      const row = await trx
        .updateTable('sessions')
        .set({
          lease_owner: owner,
          lease_expires_at: now + leaseMs * 1000,
          lease_epoch: sql`lease_epoch + 1`,
          attempts: sql`attempts + 1`,
          run_at: sql`${now} + ${backoffMicros(sql`(attempts + 1)`, backoff)}`,
          last_error: WORKER_LOST,
          ...(c.needsSlot ? { slot: 1 } : {}),
        })
        .where('id', '=', c.id)
        .returning('id')
        .executeTakeFirst();
      if (row) return row.id;
    }
    return undefined;
  });
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

export async function releaseLease(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  id: string,
  owner: string,
  outcome: ReleaseOutcome = { kind: 'done' },
  backoff: Backoff = DEFAULT_BACKOFF,
): Promise<void> {
  const now = adapter.now();
  const after =
    outcome.kind === 'done'
      ? { attempts: 0, run_at: null, last_error: null }
      : outcome.kind === 'interrupted'
        ? {
            attempts: sql<number>`case when attempts > 0 then attempts - 1 else 0 end`,
            run_at: outcome.retryAfterMs ? now + outcome.retryAfterMs * 1000 : null,
            last_error: null,
          }
        : {
            run_at: sql<number>`${now} + ${backoffMicros(sql`attempts`, backoff)}`,
            last_error: outcome.error.slice(0, 4000),
          };
  await db
    .updateTable('sessions')
    .set({ lease_owner: null, lease_expires_at: null, ...after })
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
