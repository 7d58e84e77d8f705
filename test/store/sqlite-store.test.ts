import { rmSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { runStoreContract } from '../contracts/store.contract.ts';
import { makeTempDir } from '../support/server.ts';

const dirs: string[] = [];
runStoreContract(
  'sqlite',
  async () => {
    const dir = makeTempDir('stint-store-');
    dirs.push(dir);
    return openSqliteStore({ dataDir: dir });
  },
  async (s) => {
    await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  },
);
