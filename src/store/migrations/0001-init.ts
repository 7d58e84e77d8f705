import type { Migration } from './migration.ts';

/** Tenants, keys, sources, sessions (with their lease columns) and activities. */
export const init: Migration = {
  version: 1,
  name: 'init',
  sqlite: `
      create table tenants (
        id text primary key,
        name text not null,
        create_time integer not null
      );
      create table api_keys (
        id text primary key,
        tenant_id text not null references tenants(id),
        name text not null,
        hash text not null unique,
        role text not null,
        create_time integer not null,
        revoked integer not null default 0
      );
      create table sources (
        tenant_id text not null,
        id text not null,
        git_url text not null,
        default_branch text,
        is_private integer not null default 0,
        config text not null default '{}',
        create_time integer not null,
        primary key (tenant_id, id)
      );
      create table sessions (
        id text primary key,
        tenant_id text not null,
        prompt text not null,
        title text not null,
        source text,
        starting_branch text,
        require_plan_approval integer not null,
        automation_mode text not null,
        state text not null,
        archived integer not null default 0,
        outputs text not null default '[]',
        create_time integer not null,
        update_time integer not null,
        wants_work integer not null default 0,
        resume_state text,
        agent_state text,
        last_seq integer not null default 0,
        activity_count integer not null default 0,
        last_activity_time integer not null default 0,
        lease_owner text,
        lease_expires_at integer
      );
      create index sessions_by_tenant on sessions (tenant_id, archived, create_time desc, id desc);
      create index sessions_wanting_work on sessions (update_time) where wants_work = 1;
      create table activities (
        session_id text not null,
        seq integer not null,
        id text not null,
        create_time integer not null,
        originator text not null,
        kind text not null,
        body text not null,
        primary key (session_id, seq)
      ) without rowid;
      create unique index activities_by_id on activities (session_id, id);
      create index activities_by_time on activities (session_id, create_time);
    `,
  postgres: `
      create table tenants (
        id text primary key,
        name text not null,
        create_time bigint not null
      );
      create table api_keys (
        id text primary key,
        tenant_id text not null references tenants(id),
        name text not null,
        hash text not null unique,
        role text not null,
        create_time bigint not null,
        revoked integer not null default 0
      );
      create table sources (
        tenant_id text not null,
        id text not null,
        git_url text not null,
        default_branch text,
        is_private integer not null default 0,
        config text not null default '{}',
        create_time bigint not null,
        primary key (tenant_id, id)
      );
      create table sessions (
        id text primary key,
        tenant_id text not null,
        prompt text not null,
        title text not null,
        source text,
        starting_branch text,
        require_plan_approval integer not null,
        automation_mode text not null,
        state text not null,
        archived integer not null default 0,
        outputs text not null default '[]',
        create_time bigint not null,
        update_time bigint not null,
        wants_work integer not null default 0,
        resume_state text,
        agent_state text,
        last_seq bigint not null default 0,
        activity_count bigint not null default 0,
        last_activity_time bigint not null default 0,
        lease_owner text,
        lease_expires_at bigint
      );
      create index sessions_by_tenant on sessions (tenant_id, archived, create_time desc, id desc);
      create index sessions_wanting_work on sessions (update_time) where wants_work = 1;
      create table activities (
        session_id text not null,
        seq bigint not null,
        id text not null,
        create_time bigint not null,
        originator text not null,
        kind text not null,
        body text not null,
        primary key (session_id, seq)
      );
      create unique index activities_by_id on activities (session_id, id);
      create index activities_by_time on activities (session_id, create_time);
    `,
};
