import type { Migration } from './migration.ts';

/**
 * Webhooks. Endpoints per tenant; an outbox filled by triggers in the same transaction as the change
 * that causes it (a session created, its state changed, an activity appended, a session deleted), so
 * no event is lost whatever process commits the change and whenever the server stops; events (one
 * payload each), one delivery per matching endpoint, and each delivery's attempt log.
 * The triggers write only for tenants with an enabled endpoint, so webhooks cost nothing otherwise.
 */
export const webhooks: Migration = {
  version: 40,
  name: 'webhooks',
  sqlite: `
      create table webhook_endpoints (
        id text primary key,
        tenant_id text not null,
        url text not null,
        description text not null default '',
        secret text not null,
        event_types text not null default '[]',
        disabled integer not null default 0,
        create_time integer not null,
        update_time integer not null
      );
      create index webhook_endpoints_by_tenant on webhook_endpoints (tenant_id, id);
      create table webhook_outbox (
        id integer primary key autoincrement,
        tenant_id text not null,
        session_id text not null,
        kind text not null,
        seq integer,
        state text,
        previous_state text,
        create_time integer not null
      );
      create table webhook_events (
        id text primary key,
        tenant_id text not null,
        type text not null,
        session_id text,
        payload text not null,
        create_time integer not null
      );
      create table webhook_deliveries (
        id text primary key,
        tenant_id text not null,
        endpoint_id text not null references webhook_endpoints(id) on delete cascade,
        event_id text not null references webhook_events(id) on delete cascade,
        event_type text not null,
        status text not null,
        attempts integer not null default 0,
        next_attempt_time integer,
        window_start integer not null,
        last_attempt_time integer,
        last_status_code integer,
        last_error text,
        manual integer not null default 0,
        lease_owner text,
        lease_expires_at integer,
        create_time integer not null,
        update_time integer not null
      );
      create index webhook_deliveries_due on webhook_deliveries (next_attempt_time) where status = 'pending';
      create index webhook_deliveries_by_endpoint on webhook_deliveries (endpoint_id, create_time desc, id desc);
      create index webhook_deliveries_by_event on webhook_deliveries (event_id);
      create table webhook_attempts (
        delivery_id text not null references webhook_deliveries(id) on delete cascade,
        n integer not null,
        time integer not null,
        trigger text not null,
        status_code integer,
        error text,
        response_body text,
        duration_ms integer not null,
        primary key (delivery_id, n)
      );

      create trigger webhook_outbox_session_created after insert on sessions
      when exists (select 1 from webhook_endpoints e where e.tenant_id = new.tenant_id and e.disabled = 0)
      begin
        insert into webhook_outbox (tenant_id, session_id, kind, state, create_time)
        values (new.tenant_id, new.id, 'created', new.state, new.create_time);
      end;
      create trigger webhook_outbox_session_state after update of state on sessions
      when old.state <> new.state
        and exists (select 1 from webhook_endpoints e where e.tenant_id = new.tenant_id and e.disabled = 0)
      begin
        insert into webhook_outbox (tenant_id, session_id, kind, state, previous_state, create_time)
        values (new.tenant_id, new.id, 'state', new.state, old.state, new.update_time);
      end;
      create trigger webhook_outbox_session_deleted after delete on sessions
      when exists (select 1 from webhook_endpoints e where e.tenant_id = old.tenant_id and e.disabled = 0)
      begin
        insert into webhook_outbox (tenant_id, session_id, kind, state, create_time)
        values (
          old.tenant_id, old.id, 'deleted', old.state,
          cast((julianday('now') - 2440587.5) * 86400000000 as integer)
        );
      end;
      create trigger webhook_outbox_activity after insert on activities
      when exists (
        select 1 from sessions s join webhook_endpoints e on e.tenant_id = s.tenant_id
        where s.id = new.session_id and e.disabled = 0
      )
      begin
        insert into webhook_outbox (tenant_id, session_id, kind, seq, create_time)
        select s.tenant_id, new.session_id, 'activity', new.seq, new.create_time
        from sessions s where s.id = new.session_id;
      end;
    `,
  postgres: `
      create table webhook_endpoints (
        id text primary key,
        tenant_id text not null,
        url text not null,
        description text not null default '',
        secret text not null,
        event_types text not null default '[]',
        disabled integer not null default 0,
        create_time bigint not null,
        update_time bigint not null
      );
      create index webhook_endpoints_by_tenant on webhook_endpoints (tenant_id, id);
      create table webhook_outbox (
        id bigserial primary key,
        tenant_id text not null,
        session_id text not null,
        kind text not null,
        seq bigint,
        state text,
        previous_state text,
        create_time bigint not null
      );
      create table webhook_events (
        id text primary key,
        tenant_id text not null,
        type text not null,
        session_id text,
        payload text not null,
        create_time bigint not null
      );
      create table webhook_deliveries (
        id text primary key,
        tenant_id text not null,
        endpoint_id text not null references webhook_endpoints(id) on delete cascade,
        event_id text not null references webhook_events(id) on delete cascade,
        event_type text not null,
        status text not null,
        attempts integer not null default 0,
        next_attempt_time bigint,
        window_start bigint not null,
        last_attempt_time bigint,
        last_status_code integer,
        last_error text,
        manual integer not null default 0,
        lease_owner text,
        lease_expires_at bigint,
        create_time bigint not null,
        update_time bigint not null
      );
      create index webhook_deliveries_due on webhook_deliveries (next_attempt_time) where status = 'pending';
      create index webhook_deliveries_by_endpoint on webhook_deliveries (endpoint_id, create_time desc, id desc);
      create index webhook_deliveries_by_event on webhook_deliveries (event_id);
      create table webhook_attempts (
        delivery_id text not null references webhook_deliveries(id) on delete cascade,
        n integer not null,
        time bigint not null,
        trigger text not null,
        status_code integer,
        error text,
        response_body text,
        duration_ms integer not null,
        primary key (delivery_id, n)
      );

      create function stint_webhook_outbox() returns trigger language plpgsql as $$
      declare
        t text;
      begin
        if tg_table_name = 'activities' then
          select s.tenant_id into t from sessions s where s.id = new.session_id;
          if t is not null and exists (
            select 1 from webhook_endpoints e where e.tenant_id = t and e.disabled = 0
          ) then
            insert into webhook_outbox (tenant_id, session_id, kind, seq, create_time)
            values (t, new.session_id, 'activity', new.seq, new.create_time);
          end if;
          return null;
        end if;
        if tg_op = 'DELETE' then
          if exists (select 1 from webhook_endpoints e where e.tenant_id = old.tenant_id and e.disabled = 0) then
            insert into webhook_outbox (tenant_id, session_id, kind, state, create_time)
            values (
              old.tenant_id, old.id, 'deleted', old.state,
              (extract(epoch from clock_timestamp()) * 1000000)::bigint
            );
          end if;
          return null;
        end if;
        if not exists (select 1 from webhook_endpoints e where e.tenant_id = new.tenant_id and e.disabled = 0) then
          return null;
        end if;
        if tg_op = 'INSERT' then
          insert into webhook_outbox (tenant_id, session_id, kind, state, create_time)
          values (new.tenant_id, new.id, 'created', new.state, new.create_time);
        elsif new.state is distinct from old.state then
          insert into webhook_outbox (tenant_id, session_id, kind, state, previous_state, create_time)
          values (new.tenant_id, new.id, 'state', new.state, old.state, new.update_time);
        end if;
        return null;
      end $$;
      create trigger webhook_outbox_sessions after insert or delete or update of state on sessions
        for each row execute function stint_webhook_outbox();
      create trigger webhook_outbox_activities after insert on activities
        for each row execute function stint_webhook_outbox();
    `,
};
