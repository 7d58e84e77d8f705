/** The IdempotencyStore over SQL: a reservation is one insert-if-absent, a takeover a locked update. */
import type { Kysely, Selectable } from 'kysely';
import type {
  IdempotencyRecord,
  IdempotencyStore,
  ReserveRequest,
  ReserveResult,
} from '../idempotency-store.ts';
import type { SqlAdapter } from './adapter.ts';
import type { ExtraTables, IdempotencyKeysTable } from './extra-schema.ts';
import type { DB } from './schema.ts';

type W = Kysely<DB & ExtraTables>;

function rowToRecord(r: Selectable<IdempotencyKeysTable>): IdempotencyRecord {
  const rec: IdempotencyRecord = {
    tenantId: r.tenant_id,
    key: r.key,
    fingerprint: r.fingerprint,
    state: r.state as IdempotencyRecord['state'],
    lockExpiresAt: Number(r.lock_expires_at),
    createTime: Number(r.create_time),
    expireTime: Number(r.expire_time),
  };
  if (r.status_code !== null) rec.statusCode = Number(r.status_code);
  if (r.response !== null) rec.response = r.response;
  if (r.content_type !== null) rec.contentType = r.content_type;
  return rec;
}

export class SqlIdempotencyStore implements IdempotencyStore {
  readonly #db: W;
  readonly #adapter: SqlAdapter;

  constructor(db: Kysely<DB>, adapter: SqlAdapter) {
    this.#db = db.withTables<ExtraTables>();
    this.#adapter = adapter;
  }

  reserve(req: ReserveRequest): Promise<ReserveResult> {
    return this.#adapter.writeTransaction(this.#db as unknown as Kysely<DB>, async (plain) => {
      const trx = plain.withTables<ExtraTables>();
      const now = this.#adapter.now();
      const fresh: IdempotencyKeysTable = {
        tenant_id: req.tenantId,
        key: req.key,
        fingerprint: req.fingerprint,
        state: 'pending',
        lock_expires_at: now + req.lockMs * 1000,
        status_code: null,
        response: null,
        content_type: null,
        create_time: now,
        expire_time: now + req.ttlMs * 1000,
      };
      const ins = await trx
        .insertInto('idempotency_keys')
        .values(fresh)
        .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(ins.numInsertedOrUpdatedRows ?? 0) > 0) return { reserved: true };
      const row = await trx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('tenant_id', '=', req.tenantId)
        .where('key', '=', req.key)
        .$if(this.#adapter.capabilities.skipLocked, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return { reserved: true }; // cannot happen inside this transaction
      const existing = rowToRecord(row);
      const expired = existing.expireTime <= now;
      const abandoned = existing.state === 'pending' && existing.lockExpiresAt <= now;
      if (!expired && !abandoned) return { reserved: false, existing };
      await trx
        .updateTable('idempotency_keys')
        .set(fresh)
        .where('tenant_id', '=', req.tenantId)
        .where('key', '=', req.key)
        .execute();
      return { reserved: true };
    });
  }

  async complete(
    tenantId: string,
    key: string,
    fingerprint: string,
    result: { statusCode: number; response: string; contentType: string },
  ): Promise<void> {
    await this.#db
      .updateTable('idempotency_keys')
      .set({
        state: 'done',
        status_code: result.statusCode,
        response: result.response,
        content_type: result.contentType,
      })
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .where('fingerprint', '=', fingerprint)
      .where('state', '=', 'pending')
      .execute();
  }

  async release(tenantId: string, key: string, fingerprint: string): Promise<void> {
    await this.#db
      .deleteFrom('idempotency_keys')
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .where('fingerprint', '=', fingerprint)
      .where('state', '=', 'pending')
      .execute();
  }

  async get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = await this.#db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? rowToRecord(row) : undefined;
  }

  async purgeExpired(): Promise<number> {
    const res = await this.#db
      .deleteFrom('idempotency_keys')
      .where('expire_time', '<', this.#adapter.now())
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
