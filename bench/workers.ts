/**
 * Scale-out throughput: completed scripted sessions per second on PostgreSQL with one API process
 * (`stint serve --no-worker`) and 1, 2 and 4 `stint worker` processes, each with its own data dir
 * as on separate machines. Same workload as the single-node figure (bench/throughput.ts): a session
 * on a source that checks it out, writes two files, runs a command and ends with a patch.
 * Uses STINT_TEST_DATABASE_URL when set (a fresh database per run), else an embedded PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { makeBareRepo, scriptPrompt } from '../test/support/git-fixtures.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { cliEntry, type StartedServer, startServer } from '../test/support/server.ts';
import { type StartedWorker, startWorker } from '../test/support/workers.ts';
import { log, round, SERVER_ENTRY } from './lib.ts';
import { BENCH_SCRIPT, createMany } from './throughput.ts';

export interface BenchWorkersOptions {
  /** Sessions per measurement (default 100). */
  sessions?: number;
  /** Worker counts to measure (default 1, 2, 4). */
  workers?: number[];
  /** Sessions each worker runs at once (default 32, as the single-node figure). */
  concurrency?: number;
  /** Sessions created at once through the API (default 16). */
  createConcurrency?: number;
  /** Bound on one measurement (default 10 minutes). */
  timeoutMs?: number;
}

export interface BenchWorkersResult {
  rows: { workers: number; sessionsPerSec: number }[];
}

export async function benchWorkers(opts: BenchWorkersOptions = {}): Promise<BenchWorkersResult> {
  const rows: BenchWorkersResult['rows'] = [];
  for (const workers of opts.workers ?? [1, 2, 4]) {
    log(`workers: ${workers} worker(s) on PostgreSQL, ${opts.sessions ?? 100} sessions`);
    rows.push({ workers, sessionsPerSec: round(await measure(workers, opts), 1) });
  }
  return { rows };
}

async function measure(workerCount: number, opts: BenchWorkersOptions): Promise<number> {
  const sessions = opts.sessions ?? 100;
  const database = await createTestDatabase();
  const bare = makeBareRepo();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const env = {
    STINT_DATABASE_URL: database.url,
    STINT_LOG_LEVEL: 'error',
    STINT_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  let server: StartedServer | undefined;
  const workers: StartedWorker[] = [];
  try {
    execFileSync(
      process.execPath,
      [cliEntry, 'sources', 'add', 'github/bench/repo', '--git-url', bare, '--default-branch', 'main'],
      { env: { ...process.env, ...env }, stdio: 'pipe' },
    );
    server = await startServer({ entry: SERVER_ENTRY, args: ['--no-worker'], env });
    const args = ['--concurrency', String(opts.concurrency ?? 32)];
    workers.push(
      ...(await Promise.all(Array.from({ length: workerCount }, () => startWorker({ env, args })))),
    );

    const t0 = performance.now();
    await createMany(server, sessions, scriptPrompt('bench', BENCH_SCRIPT), opts.createConcurrency ?? 16);
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    for (;;) {
      const { rows } = await pool.query<{ done: number; failed: number }>(
        `select count(*) filter (where state = 'COMPLETED')::int as done,
                count(*) filter (where state = 'FAILED')::int as failed from sessions`,
      );
      if (rows[0]!.failed > 0) {
        const why = await pool.query<{ body: string }>(
          "select body from activities where kind = 'sessionFailed' limit 1",
        );
        throw new Error(`${rows[0]!.failed} benchmark sessions failed, e.g. ${why.rows[0]?.body}`);
      }
      if (rows[0]!.done >= sessions) break;
      if (Date.now() > deadline)
        throw new Error(`only ${rows[0]!.done}/${sessions} sessions completed in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return sessions / ((performance.now() - t0) / 1000);
  } finally {
    for (const w of workers) await w.cleanup();
    await server?.cleanup();
    await pool.end();
    await database.cleanup();
    rmSync(join(bare, '..'), { recursive: true, force: true });
  }
}

// `node bench/workers.ts` prints the rows on their own.
if (import.meta.main) {
  const result = await benchWorkers({ sessions: Number(process.env.BENCH_SESSIONS ?? 100) });
  for (const r of result.rows)
    process.stdout.write(`${r.workers} worker(s): ${r.sessionsPerSec} sessions/s\n`);
}
