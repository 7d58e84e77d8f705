import type { Migration } from './migration.ts';

/**
 * The commit a session's checkout was first made from, kept by the server: a file in the checkout
 * (the old `.git/stint-base`) could be rewritten by the agent's commands.
 */
export const baseCommit: Migration = {
  version: 210,
  name: 'base-commit',
  sqlite: `alter table sessions add column base_commit_id text;`,
  postgres: `alter table sessions add column base_commit_id text;`,
};
