import type { Migration } from './migration.ts';

/** The server-wide session stream resumes by update time within a tenant. */
export const sessionFeed: Migration = {
  version: 42,
  name: 'session-feed',
  sqlite: `
      create index sessions_by_update_time on sessions (tenant_id, update_time);
    `,
  postgres: `
      create index sessions_by_update_time on sessions (tenant_id, update_time);
    `,
};
