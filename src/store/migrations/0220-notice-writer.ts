import type { Migration } from './migration.ts';

/**
 * PostgreSQL only: a `stint_session` notice names the process whose transaction made the change
 * (`writer`: the `stint.writer` setting each of a store's connections sets when it opens; null for
 * writes from elsewhere, such as psql). A process that announced its own change locally skips the
 * notice of it, however soon the notice arrives (before the writer's own announcement, even).
 */
export const noticeWriter: Migration = {
  version: 220,
  name: 'notice-writer',
  sqlite: '-- SQLite: one process, no notifications.',
  postgres: `
      create or replace function stint_notify_session() returns trigger language plpgsql as $$
      declare
        writer text := nullif(current_setting('stint.writer', true), '');
      begin
        if tg_op = 'DELETE' then
          perform pg_notify(
            'stint_session', json_build_object('id', old.id, 'deleted', true, 'writer', writer)::text
          );
        elsif tg_op = 'INSERT' then
          perform pg_notify(
            'stint_session',
            json_build_object(
              'id', new.id, 'state', new.state, 'from', 0, 'n', new.activity_count, 'writer', writer
            )::text
          );
        else
          perform pg_notify(
            'stint_session',
            json_build_object(
              'id', new.id, 'state', new.state, 'from', old.activity_count, 'n', new.activity_count,
              'writer', writer
            )::text
          );
        end if;
        return null;
      end $$;
    `,
};
