import type { Migration } from './migration.ts';

/**
 * Tenant limits in O(1) per claim: `sessions.slot` marks a session that holds one of its tenant's
 * working slots (claimed while QUEUED, or PLANNING / IN_PROGRESS) and `tenant_load.working` counts
 * them, updated in the same transaction as every change of a slot (the claim, a state change, a
 * delete). A claim reads one counter row per tenant instead of counting the tenant's sessions, and
 * takes the slot with a conditional increment of that row, which concurrent claimers on PostgreSQL
 * serialise on. The two partial indexes let a claim skip the queue of a tenant at its limit.
 */
const common = `
      alter table sessions add column slot integer not null default 0;
      update sessions set slot = 1
        where state in ('PLANNING', 'IN_PROGRESS') or (state = 'QUEUED' and lease_owner is not null);
      create table tenant_load (
        tenant_id text primary key,
        working integer not null default 0
      );
      insert into tenant_load (tenant_id, working)
        select tenant_id, count(*) from sessions where slot = 1 group by tenant_id;
      create index sessions_waiting on sessions (tenant_id, update_time)
        where wants_work = 1 and state = 'QUEUED' and slot = 0;
      create index sessions_runnable on sessions (update_time)
        where wants_work = 1 and (state <> 'QUEUED' or slot = 1);
    `;

export const tenantLoad: Migration = {
  version: 73,
  name: 'tenant-load',
  sqlite: common,
  postgres: common,
};
