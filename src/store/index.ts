import { openSqliteStore } from './sqlite/open.ts';
import type { Store } from './store.ts';

export interface StoreConfig {
  dataDir: string;
  databaseUrl?: string;
  /** Failures of the store's background work (PostgreSQL clock sync), to be logged. */
  onBackgroundError?: (err: unknown, what: string) => void;
}

/** Chooses the store from config: PostgreSQL when a postgres:// URL is given, else embedded SQLite. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
      throw new Error('STINT_DATABASE_URL must be a postgres:// or postgresql:// URL.');
    }
    const { openPostgresStore } = await import('./postgres/open.ts');
    return openPostgresStore({
      url: config.databaseUrl,
      ...(config.onBackgroundError ? { onBackgroundError: config.onBackgroundError } : {}),
    });
  }
  return openSqliteStore({ dataDir: config.dataDir });
}
