import type { Kysely } from 'kysely';
import type { SqlAdapter } from '../sql/adapter.ts';
import type { DB } from '../sql/schema.ts';
import type { DbClock } from './clock.ts';

/** SQLSTATEs after which a whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const ATTEMPTS = 4;

/**
 * PostgreSQL: READ COMMITTED transactions; the shared queries take the session row lock
 * (SELECT ... FOR UPDATE) and claim with FOR UPDATE SKIP LOCKED, so writers of one session
 * queue up and claimers never wait on each other.
 */
export function postgresAdapter(clock: DbClock, writerId: string): SqlAdapter {
  return {
    kind: 'postgres',
    capabilities: { skipLocked: true, multiProcess: true },
    writerId,
    async writeTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().setIsolationLevel('read committed').execute(fn);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (attempt >= ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw e;
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
        }
      }
    },
    now: () => clock.now(),
  };
}
