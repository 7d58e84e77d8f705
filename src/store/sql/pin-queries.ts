/** Reference-counted mirror pins (migration 190); the counts are kept by triggers. */
import type { Kysely } from 'kysely';
import type { PinStore } from '../pin-store.ts';
import type { DB } from './schema.ts';

type PinTables = {
  mirror_pins: { mirror: string; commit_id: string; session_id: string };
  mirror_pin_commits: { mirror: string; commit_id: string; refs: number };
};

const BATCH = 200;

export class SqlPinStore implements PinStore {
  readonly #db: Kysely<DB & PinTables>;

  constructor(db: Kysely<DB>) {
    this.#db = db.withTables<PinTables>();
  }

  async addPin(mirror: string, commitId: string, sessionId: string): Promise<void> {
    await this.#db
      .insertInto('mirror_pins')
      .values({ mirror, commit_id: commitId, session_id: sessionId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async addPins(mirror: string, pins: readonly { commitId: string; sessionId: string }[]): Promise<void> {
    for (let i = 0; i < pins.length; i += BATCH) {
      const batch = pins.slice(i, i + BATCH);
      const existing = new Set(
        (
          await this.#db
            .selectFrom('sessions')
            .select('id')
            .where(
              'id',
              'in',
              batch.map((p) => p.sessionId),
            )
            .execute()
        ).map((r) => r.id),
      );
      const values = batch
        .filter((p) => existing.has(p.sessionId))
        .map((p) => ({ mirror, commit_id: p.commitId, session_id: p.sessionId }));
      if (values.length === 0) continue;
      await this.#db
        .insertInto('mirror_pins')
        .values(values)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async unreferencedPins(mirror: string, limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('mirror_pin_commits')
      .select('commit_id')
      .where('mirror', '=', mirror)
      .where('refs', '<=', 0)
      .limit(limit)
      .execute();
    return rows.map((r) => r.commit_id);
  }

  async dropPin(mirror: string, commitId: string): Promise<boolean> {
    const res = await this.#db
      .deleteFrom('mirror_pin_commits')
      .where('mirror', '=', mirror)
      .where('commit_id', '=', commitId)
      .where('refs', '<=', 0)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async pinCounts(mirror: string): Promise<Record<string, number>> {
    const rows = await this.#db
      .selectFrom('mirror_pin_commits')
      .select(['commit_id', 'refs'])
      .where('mirror', '=', mirror)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.commit_id, Number(r.refs)]));
  }
}
