import type { Kysely } from 'kysely';
import type { Session } from '../../domain/session.ts';
import type { SessionFeedStore } from '../session-feed-store.ts';
import { rowToSession } from './rows.ts';
import type { DB } from './schema.ts';

export class SqlSessionFeedStore implements SessionFeedStore {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async changedAfter(
    tenantId: string,
    after: { time: number; id?: string },
    limit: number,
  ): Promise<Session[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) =>
        after.id === undefined
          ? eb('update_time', '>', after.time)
          : eb.or([
              eb('update_time', '>', after.time),
              eb.and([eb('update_time', '=', after.time), eb('id', '>', after.id)]),
            ]),
      )
      .orderBy('update_time')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(rowToSession);
  }
}
