import type { Migration } from './migration.ts';

/**
 * Isolation and security:
 * - per-tenant limits (`tenants.max_working_sessions`, `tenants.rate_limit_per_minute`) and a per-key
 *   rate limit (`api_keys.rate_limit_per_minute`); null means the server's default;
 * - `secrets`: per-tenant (`source_id = ''`) and per-source secrets, AES-256-GCM ciphertext only;
 * - `audit_log`: who changed what, when, through the API or the CLI;
 * - an index so the claim can count a tenant's working sessions cheaply.
 */
export const security: Migration = {
  version: 50,
  name: 'security',
  sqlite: `
      alter table tenants add column max_working_sessions integer;
      alter table tenants add column rate_limit_per_minute integer;
      alter table api_keys add column rate_limit_per_minute integer;
      create index sessions_by_tenant_state on sessions (tenant_id, state);
      create table secrets (
        tenant_id text not null,
        source_id text not null default '',
        name text not null,
        ciphertext text not null,
        create_time integer not null,
        update_time integer not null,
        primary key (tenant_id, source_id, name)
      );
      create table audit_log (
        id integer primary key autoincrement,
        time integer not null,
        tenant_id text,
        key_id text,
        actor text not null,
        method text not null,
        path text not null,
        status integer not null,
        detail text
      );
      create index audit_log_by_tenant on audit_log (tenant_id, id);
    `,
  postgres: `
      alter table tenants add column max_working_sessions integer;
      alter table tenants add column rate_limit_per_minute integer;
      alter table api_keys add column rate_limit_per_minute integer;
      create index sessions_by_tenant_state on sessions (tenant_id, state);
      create table secrets (
        tenant_id text not null,
        source_id text not null default '',
        name text not null,
        ciphertext text not null,
        create_time bigint not null,
        update_time bigint not null,
        primary key (tenant_id, source_id, name)
      );
      create table audit_log (
        id bigserial primary key,
        time bigint not null,
        tenant_id text,
        key_id text,
        actor text not null,
        method text not null,
        path text not null,
        status integer not null,
        detail text
      );
      create index audit_log_by_tenant on audit_log (tenant_id, id);
    `,
};
