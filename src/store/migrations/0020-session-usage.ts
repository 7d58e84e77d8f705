import type { Migration } from './migration.ts';

/** Model token usage and cost per session (JSON text; null until an agent reports usage). */
export const sessionUsage: Migration = {
  version: 20,
  name: 'session-usage',
  sqlite: `
      alter table sessions add column usage text;
    `,
  postgres: `
      alter table sessions add column usage text;
    `,
};
