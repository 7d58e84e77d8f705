import type { Migration } from './migration.ts';

/**
 * The agent's transcript out of the session row: `session_turns` holds one row per committed step,
 * append-only (a `base` row with the whole checkpoint, then `delta` rows with what each step added;
 * a new base drops the rows before it), read only by the agent that resumes the session. Session
 * reads (GET, list, streams, mutations) no longer carry or parse it. `sessions.plan` keeps the
 * latest plan (small) that the runner and plan approval read. Checkpoints stored before move into
 * a base row each; `agent_state` is emptied.
 */
export const sessionTurns: Migration = {
  version: 74,
  name: 'session-turns',
  sqlite: `
      create table session_turns (
        session_id text not null references sessions(id) on delete cascade,
        seq integer not null,
        kind text not null,
        body text not null,
        primary key (session_id, seq)
      );
      alter table sessions add column plan text;
      insert into session_turns (session_id, seq, kind, body)
        select id, 1, 'base', agent_state -> '$.checkpoint' from sessions
        where agent_state is not null and json_valid(agent_state)
          and agent_state -> '$.checkpoint' is not null;
      update sessions set plan = agent_state -> '$.plan'
        where agent_state is not null and json_valid(agent_state)
          and json_type(agent_state, '$.plan') = 'object';
      update sessions set agent_state = null where agent_state is not null;
    `,
  postgres: `
      create table session_turns (
        session_id text not null references sessions(id) on delete cascade,
        seq integer not null,
        kind text not null,
        body text not null,
        primary key (session_id, seq)
      );
      alter table sessions add column plan text;
      insert into session_turns (session_id, seq, kind, body)
        select id, 1, 'base', (agent_state::json -> 'checkpoint')::text from sessions
        where agent_state is not null and (agent_state::json -> 'checkpoint') is not null;
      update sessions set plan = (agent_state::json -> 'plan')::text
        where agent_state is not null and json_typeof(agent_state::json -> 'plan') = 'object';
      update sessions set agent_state = null where agent_state is not null;
    `,
};
