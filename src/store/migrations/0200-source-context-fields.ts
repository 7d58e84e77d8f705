import type { Migration } from './migration.ts';

/** sourceContext.workingBranch and sourceContext.environmentVariablesEnabled (null: not given). */
export const sourceContextFields: Migration = {
  version: 200,
  name: 'source-context-fields',
  sqlite: `
      alter table sessions add column working_branch text;
      alter table sessions add column environment_variables_enabled integer;
    `,
  postgres: `
      alter table sessions add column working_branch text;
      alter table sessions add column environment_variables_enabled integer;
    `,
};
