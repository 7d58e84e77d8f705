import type { Migration } from './migration.ts';

/**
 * Pins of commits in source mirrors, per base commit and reference-counted, instead of one loose
 * ref per session in the mirror (which every fetch read and the janitor checked one by one):
 * - `mirror_pins`: session S needs commit C in mirror M (its base). Deleting the session deletes
 *   its rows (cascade).
 * - `mirror_pin_commits`: one row per pinned commit of a mirror with the number of sessions that
 *   need it, kept by triggers on `mirror_pins`; the mirror holds one ref per row. The janitor
 *   reads only the rows whose count reached 0 (a partial index) and drops their refs.
 * `mirror` names a mirror directory of one data directory (`<data dir id>/<mirror name>`): workers
 * with their own data directories keep their own pins.
 */
export const mirrorPins: Migration = {
  version: 190,
  name: 'mirror-pins',
  sqlite: `
      create table mirror_pins (
        mirror text not null,
        commit_id text not null,
        session_id text not null references sessions(id) on delete cascade,
        primary key (mirror, session_id, commit_id)
      );
      create index mirror_pins_session on mirror_pins (session_id);
      create table mirror_pin_commits (
        mirror text not null,
        commit_id text not null,
        refs integer not null,
        primary key (mirror, commit_id)
      );
      create index mirror_pin_commits_unreferenced on mirror_pin_commits (mirror) where refs <= 0;
      create trigger mirror_pins_added after insert on mirror_pins begin
        insert into mirror_pin_commits (mirror, commit_id, refs) values (new.mirror, new.commit_id, 1)
          on conflict (mirror, commit_id) do update set refs = refs + 1;
      end;
      create trigger mirror_pins_removed after delete on mirror_pins begin
        update mirror_pin_commits set refs = refs - 1
          where mirror = old.mirror and commit_id = old.commit_id;
      end;
    `,
  postgres: `
      create table mirror_pins (
        mirror text not null,
        commit_id text not null,
        session_id text not null references sessions(id) on delete cascade,
        primary key (mirror, session_id, commit_id)
      );
      create index mirror_pins_session on mirror_pins (session_id);
      create table mirror_pin_commits (
        mirror text not null,
        commit_id text not null,
        refs bigint not null,
        primary key (mirror, commit_id)
      );
      create index mirror_pin_commits_unreferenced on mirror_pin_commits (mirror) where refs <= 0;
      create function stint_count_mirror_pins() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          insert into mirror_pin_commits (mirror, commit_id, refs) values (new.mirror, new.commit_id, 1)
            on conflict (mirror, commit_id) do update set refs = mirror_pin_commits.refs + 1;
        else
          update mirror_pin_commits set refs = refs - 1
            where mirror = old.mirror and commit_id = old.commit_id;
        end if;
        return null;
      end $$;
      create trigger mirror_pins_counted after insert or delete on mirror_pins
        for each row execute function stint_count_mirror_pins();
    `,
};
