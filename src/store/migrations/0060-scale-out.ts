import type { Migration } from './migration.ts';

/**
 * Many workers on one store:
 * - `sessions.lease_epoch` counts claims (a fencing token); each activity records the lease it was
 *   written under (`lease_owner`, `lease_epoch`; null for writes by the API), so who worked on a
 *   session, and that no two workers ever interleaved, can be read back from the store.
 * - `workspace_snapshots`: the working tree of a session as of its last committed step, so a worker
 *   on another machine can resume it.
 * - PostgreSQL only: triggers NOTIFY `stint_work` when a session starts wanting a worker (created,
 *   approved, messaged, resumed, or released while still wanting work) and `stint_session` on every
 *   change of a session (`{id, state, from, n}`: activities from+1..n were appended; or
 *   `{id, deleted}`), at commit, whichever process made it.
 */
export const scaleOut: Migration = {
  version: 60,
  name: 'scale-out',
  sqlite: `
      alter table sessions add column lease_epoch integer not null default 0;
      alter table activities add column lease_owner text;
      alter table activities add column lease_epoch integer;
      create index sessions_leased on sessions (lease_expires_at) where lease_owner is not null;
      create table workspace_snapshots (
        session_id text primary key references sessions(id) on delete cascade,
        base_commit_id text not null,
        tree_id text not null,
        patch text not null,
        update_time integer not null
      );
    `,
  postgres: `
      alter table sessions add column lease_epoch bigint not null default 0;
      alter table activities add column lease_owner text;
      alter table activities add column lease_epoch bigint;
      create index sessions_leased on sessions (lease_expires_at) where lease_owner is not null;
      create table workspace_snapshots (
        session_id text primary key references sessions(id) on delete cascade,
        base_commit_id text not null,
        tree_id text not null,
        patch text not null,
        update_time bigint not null
      );

      create function stint_notify_work() returns trigger language plpgsql as $$
      begin
        perform pg_notify('stint_work', new.id);
        return null;
      end $$;
      create trigger sessions_want_work_insert after insert on sessions
        for each row when (new.wants_work = 1)
        execute function stint_notify_work();
      create trigger sessions_want_work_update after update of wants_work, lease_owner on sessions
        for each row when (
          new.wants_work = 1 and new.lease_owner is null
          and (old.wants_work <> 1 or old.lease_owner is not null)
        )
        execute function stint_notify_work();

      create function stint_notify_session() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          perform pg_notify('stint_session', json_build_object('id', old.id, 'deleted', true)::text);
        elsif tg_op = 'INSERT' then
          perform pg_notify(
            'stint_session',
            json_build_object('id', new.id, 'state', new.state, 'from', 0, 'n', new.activity_count)::text
          );
        else
          perform pg_notify(
            'stint_session',
            json_build_object(
              'id', new.id, 'state', new.state, 'from', old.activity_count, 'n', new.activity_count
            )::text
          );
        end if;
        return null;
      end $$;
      create trigger sessions_changed after insert or delete or update of update_time on sessions
        for each row execute function stint_notify_session();
    `,
};
