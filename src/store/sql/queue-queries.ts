/** Session leases: who works on which session. A claim is one UPDATE ... RETURNING statement. */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Backoff, DEFAULT_BACKOFF, type ReleaseOutcome } from '../store.ts';
import type { SqlAdapter } from './adapter.ts';
import type { DB } from './schema.ts';
import { tenantHasRoom } from './security-queries.ts';

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

export async function claimSession(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  owner: string,
  leaseMs: number,
  backoff: Backoff = DEFAULT_BACKOFF,
): Promise<string | undefined> {
  const now = adapter.now();
  const row = await db
    .updateTable('sessions')
    .set({
      lease_owner: owner,
      lease_expires_at: now + leaseMs * 1000,
      lease_epoch: sql`lease_epoch + 1`,
      attempts: sql`attempts + 1`,
      run_at: sql`${now} + ${backoffMicros(sql`(attempts + 1)`, backoff)}`,
      last_error: WORKER_LOST,
    })
    .where('id', '=', (eb) =>
      eb
        .selectFrom('sessions')
        .select('id')
        .where('wants_work', '=', 1)
        .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
        .where((w) => w.or([w('run_at', 'is', null), w('run_at', '<=', now)]))
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
