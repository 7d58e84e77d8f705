/** The extensions store contract on SQLite, and on PostgreSQL (embedded, or STINT_TEST_DATABASE_URL). */
import { rmSync } from 'node:fs';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { runExtensionsStoreContract } from '../contracts/extensions-store.contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { makeTempDir } from '../support/server.ts';

let dir: string | undefined;
runExtensionsStoreContract(
  'sqlite',
  async () => {
    dir = makeTempDir('stint-ext-store-');
    return openSqliteStore({ dataDir: dir });
  },
  async (s) => {
    await s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);

let db: TestDatabase | undefined;
runExtensionsStoreContract(
  'postgres',
  async () => {
    db = await createTestDatabase();
    return openPostgresStore({ url: db.url });
  },
  async (s) => {
    await s.close();
    await db?.cleanup();
  },
);
