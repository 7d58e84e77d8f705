import type { Migration } from './migration.ts';

/**
 * Attempts with backoff (as graphile-worker does in its claim): `attempts` counts claims since the
 * session last ran to a clean stop; the claim increments it and sets `run_at` in the future (so a
 * worker that dies mid-run is not followed by an immediate retry), a failure records `last_error`
 * and backs off, a clean release resets all three. Sessions not yet due are not claimed.
 */
export const attempts: Migration = {
  version: 72,
  name: 'attempts',
  sqlite: `
      alter table sessions add column attempts integer not null default 0;
      alter table sessions add column run_at integer;
      alter table sessions add column last_error text;
    `,
  postgres: `
      alter table sessions add column attempts integer not null default 0;
      alter table sessions add column run_at bigint;
      alter table sessions add column last_error text;
    `,
};
