/** Tenants and their limits, per-key rate limits, secrets and the audit log. */
import type { Kysely } from 'kysely';
import type {
  AuditEntry,
  AuditQuery,
  AuditRecord,
  SecretRecord,
  SecurityStore,
  TenantPatch,
  TenantRecord,
} from '../security-store.ts';
import type { SqlAdapter } from './adapter.ts';
import type { DB } from './schema.ts';
import { workingSessions } from './tenant-load.ts';

const DEFAULT_WORKING_KEY = 'default_max_working_sessions';

function toTenant(r: {
  id: string;
  name: string;
  create_time: number;
  max_working_sessions: number | null;
  rate_limit_per_minute: number | null;
}): TenantRecord {
  return {
    id: r.id,
    name: r.name,
    createTime: Number(r.create_time),
    maxWorkingSessions: r.max_working_sessions === null ? null : Number(r.max_working_sessions),
    rateLimitPerMinute: r.rate_limit_per_minute === null ? null : Number(r.rate_limit_per_minute),
  };
}

function toSecret(r: {
  tenant_id: string;
  source_id: string;
  name: string;
  ciphertext: string;
  create_time: number;
  update_time: number;
}): SecretRecord {
  return {
    tenantId: r.tenant_id,
    sourceId: r.source_id,
    name: r.name,
    ciphertext: r.ciphertext,
    createTime: Number(r.create_time),
    updateTime: Number(r.update_time),
  };
}

/** The SecurityStore over the shared SQL schema. */
export function sqlSecurityStore(db: Kysely<DB>, adapter: SqlAdapter): SecurityStore {
  return {
    async createTenant(t) {
      const res = await db
        .insertInto('tenants')
        .values({ id: t.id, name: t.name, create_time: adapter.now() })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async getTenant(id) {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toTenant(row) : undefined;
    },
    async listTenants() {
      const rows = await db.selectFrom('tenants').selectAll().orderBy('id').execute();
      return rows.map(toTenant);
    },
    async updateTenant(id, patch: TenantPatch) {
      const set: Record<string, unknown> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.maxWorkingSessions !== undefined) set.max_working_sessions = patch.maxWorkingSessions;
      if (patch.rateLimitPerMinute !== undefined) set.rate_limit_per_minute = patch.rateLimitPerMinute;
      if (Object.keys(set).length === 0) return (await this.getTenant(id)) !== undefined;
      const res = await db.updateTable('tenants').set(set).where('id', '=', id).executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async setKeyRateLimit(keyId, perMinute) {
      const res = await db
        .updateTable('api_keys')
        .set({ rate_limit_per_minute: perMinute })
        .where('id', '=', keyId)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },
    async rateLimits(keyId, tenantId) {
      const key = await db
        .selectFrom('api_keys')
        .select('rate_limit_per_minute')
        .where('id', '=', keyId)
        .executeTakeFirst();
      const tenant = await db
        .selectFrom('tenants')
        .select('rate_limit_per_minute')
        .where('id', '=', tenantId)
        .executeTakeFirst();
      const num = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v));
      return { key: num(key?.rate_limit_per_minute), tenant: num(tenant?.rate_limit_per_minute) };
    },

    async setDefaultMaxWorkingSessions(limit) {
      await db
        .insertInto('meta')
        .values({ key: DEFAULT_WORKING_KEY, value: String(limit) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(limit) }))
        .execute();
    },
    countWorkingSessions(tenantId) {
      // Sessions holding a working slot (claimed to start, or PLANNING / IN_PROGRESS): see tenant-load.ts.
      return workingSessions(db, tenantId);
    },

    async putSecret(s) {
      await db
        .insertInto('secrets')
        .values({
          tenant_id: s.tenantId,
          source_id: s.sourceId,
          name: s.name,
          ciphertext: s.ciphertext,
          create_time: s.createTime,
          update_time: s.updateTime,
        })
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'source_id', 'name'])
            .doUpdateSet({ ciphertext: s.ciphertext, update_time: s.updateTime }),
        )
        .execute();
    },
    async listSecrets(tenantId, sourceId) {
      const rows = await db
        .selectFrom('secrets')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .$if(sourceId !== undefined, (q) => q.where('source_id', '=', sourceId!))
        .orderBy('source_id')
        .orderBy('name')
        .execute();
      return rows.map(toSecret);
    },
    async deleteSecret(tenantId, sourceId, name) {
      const res = await db
        .deleteFrom('secrets')
        .where('tenant_id', '=', tenantId)
        .where('source_id', '=', sourceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async appendAudit(e: AuditEntry) {
      await db
        .insertInto('audit_log')
        .values({
          time: e.time,
          tenant_id: e.tenantId,
          key_id: e.keyId,
          actor: e.actor,
          method: e.method,
          path: e.path,
          status: e.status,
          detail: e.detail === undefined ? null : JSON.stringify(e.detail),
        })
        .execute();
    },
    async listAudit(q: AuditQuery): Promise<AuditRecord[]> {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .$if(q.tenantId !== undefined, (x) => x.where('tenant_id', '=', q.tenantId!))
        .$if(q.beforeId !== undefined, (x) => x.where('id', '<', q.beforeId!))
        .orderBy('id', 'desc')
        .limit(q.limit)
        .execute();
      return rows.map((r) => {
        const rec: AuditRecord = {
          id: Number(r.id),
          time: Number(r.time),
          tenantId: r.tenant_id,
          keyId: r.key_id,
          actor: r.actor as AuditRecord['actor'],
          method: r.method,
          path: r.path,
          status: Number(r.status),
        };
        if (r.detail !== null) rec.detail = JSON.parse(r.detail);
        return rec;
      });
    },
  };
}
