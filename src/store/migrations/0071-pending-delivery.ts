import type { Migration } from './migration.ts';

/**
 * Outputs as a fenced step: the `done` commit records the delivery it leaves pending (push + pull
 * request, AUTO_CREATE_PR) under the lease and state check; a later commit records the pull request
 * and clears it. Null: nothing pending.
 */
export const pendingDelivery: Migration = {
  version: 71,
  name: 'pending-delivery',
  sqlite: `
      alter table sessions add column pending_delivery text;
    `,
  postgres: `
      alter table sessions add column pending_delivery text;
    `,
};
