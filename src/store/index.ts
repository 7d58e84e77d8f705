import { openSqliteStore } from './sqlite/open.ts';
import type { Store } from './store.ts';

export interface StoreConfig {
  dataDir: string;
  databaseUrl?: string;
}

/** Chooses the store from config: PostgreSQL when a postgres:// URL is given, else embedded SQLite. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl && /^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new Error('PostgreSQL store is not available in this build yet (STINT_DATABASE_URL).');
  }
  return openSqliteStore({ dataDir: config.dataDir });
}
