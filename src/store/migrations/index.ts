import { init } from './0001-init.ts';
import type { Migration } from './migration.ts';

/** Every migration, in version order. Add new files here. */
export const MIGRATIONS: readonly Migration[] = [init];
