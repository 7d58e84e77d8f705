/** Tenants, API keys, sources and meta. */
import type { Kysely } from 'kysely';
import type { ApiKeyRecord, SourceRecord } from '../store.ts';
import type { SqlAdapter } from './adapter.ts';
import { rowToKey, rowToSource } from './rows.ts';
import type { DB } from './schema.ts';

export async function getMeta(db: Kysely<DB>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function ensureMeta(db: Kysely<DB>, key: string, value: string): Promise<string> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await getMeta(db, key))!;
}

export async function ensureTenant(
  db: Kysely<DB>,
  adapter: SqlAdapter,
  id: string,
  name: string,
): Promise<void> {
  await db
    .insertInto('tenants')
    .values({ id, name, create_time: adapter.now() })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function createApiKey(db: Kysely<DB>, key: ApiKeyRecord): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      tenant_id: key.tenantId,
      name: key.name,
      hash: key.hash,
      role: key.role,
      create_time: key.createTime,
      revoked: key.revoked ? 1 : 0,
    })
    .execute();
}

export async function findApiKeyByHash(db: Kysely<DB>, hash: string): Promise<ApiKeyRecord | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
  return row ? rowToKey(row) : undefined;
}

export async function listApiKeys(db: Kysely<DB>, tenantId?: string): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .$if(tenantId !== undefined, (q) => q.where('tenant_id', '=', tenantId!))
    .orderBy('create_time')
    .execute();
  return rows.map(rowToKey);
}

export async function revokeApiKey(db: Kysely<DB>, id: string): Promise<boolean> {
  const res = await db.updateTable('api_keys').set({ revoked: 1 }).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function putSource(db: Kysely<DB>, s: SourceRecord): Promise<void> {
  const row = {
    tenant_id: s.tenantId,
    id: s.id,
    git_url: s.gitUrl,
    default_branch: s.defaultBranch ?? null,
    is_private: s.isPrivate ? 1 : 0,
    config: JSON.stringify(s.config),
    create_time: s.createTime,
  };
  await db
    .insertInto('sources')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'id']).doUpdateSet({
        git_url: row.git_url,
        default_branch: row.default_branch,
        is_private: row.is_private,
        config: row.config,
      }),
    )
    .execute();
}

export async function getSource(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
): Promise<SourceRecord | undefined> {
  const row = await db
    .selectFrom('sources')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? rowToSource(row) : undefined;
}

export async function listSources(
  db: Kysely<DB>,
  tenantId: string,
  page: { afterId?: string; limit: number },
): Promise<SourceRecord[]> {
  const rows = await db
    .selectFrom('sources')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$if(page.afterId !== undefined, (q) => q.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .execute();
  return rows.map(rowToSource);
}

export async function deleteSource(db: Kysely<DB>, tenantId: string, id: string): Promise<boolean> {
  const res = await db
    .deleteFrom('sources')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
