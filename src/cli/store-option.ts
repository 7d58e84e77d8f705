import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Store } from '../store/store.ts';

export function addDataDirOption(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'the server data directory (STINT_DATA_DIR)');
}

export async function withStore<T>(opts: { dataDir?: string }, fn: (store: Store) => Promise<T>): Promise<T> {
  const dataDir = resolve(opts.dataDir ?? process.env.STINT_DATA_DIR ?? '.stint');
  // Loaded here: a command that never opens the store (every client command) starts without it.
  const { openStore } = await import('../store/index.ts');
  const store = await openStore({
    dataDir,
    ...(process.env.STINT_DATABASE_URL ? { databaseUrl: process.env.STINT_DATABASE_URL } : {}),
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
