/**
 * 3. Session throughput: scripted sessions on a source (checkout, two writes, a command,
 * patch) completed per second on one node, against the same git work done directly;
 * and server RSS with 200 sessions in flight.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addSource, makeBareRepo, scriptPrompt } from '../test/support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../test/support/server.ts';
import { log, round, rssMb, type Section } from './lib.ts';

const run = promisify(execFile);

/** The session every throughput figure runs: checkout, two writes, a command, a patch. */
export const BENCH_SCRIPT = {
  plan: ['Edit two files', 'Check'],
  steps: [
    { write: { path: 'src/app.txt', content: 'line 1\nline two\n' } },
    { write: { path: 'NOTES.md', content: 'notes\n' } },
    { run: 'wc -l src/app.txt' },
  ],
};

/** Creates n sessions on the bench source through the API, `concurrency` at a time. */
export async function createMany(
  server: StartedServer,
  n: number,
  prompt: string,
  concurrency = 16,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const res = await api(server, 'POST', '/sessions', {
          prompt,
          sourceContext: {
            source: 'sources/github/bench/repo',
            githubRepoContext: { startingBranch: 'main' },
          },
        });
        if (res.status !== 200) throw new Error(JSON.stringify(res.body));
        ids.push(res.body.id);
      }
    }),
  );
  return ids;
}

async function countDone(server: StartedServer, total: number): Promise<number> {
  const res = await api(
    server,
    'GET',
    `/sessions?pageSize=100&filter=${encodeURIComponent('state = COMPLETED')}`,
  );
  let n = res.body.sessions.length;
  let token = res.body.nextPageToken;
  while (token && n < total) {
    const more = await api(
      server,
      'GET',
      `/sessions?pageSize=100&filter=${encodeURIComponent('state = COMPLETED')}&pageToken=${encodeURIComponent(token)}`,
    );
    n += more.body.sessions.length;
    token = more.body.nextPageToken;
  }
  return n;
}

/** The same work without Stint: clone, write two files, run the command, git diff; `concurrency` at a time. */
async function baseline(bare: string, n: number, concurrency: number): Promise<number> {
  const root = makeTempDir('stint-bench-raw-');
  try {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          const dir = join(root, String(i));
          await run('git', [
            'clone',
            '-q',
            '--no-tags',
            '--single-branch',
            '--branch',
            'main',
            '--',
            bare,
            dir,
          ]);
          writeFileSync(join(dir, 'src/app.txt'), 'line 1\nline two\n');
          writeFileSync(join(dir, 'NOTES.md'), 'notes\n');
          await run('/bin/sh', ['-c', 'wc -l src/app.txt'], { cwd: dir });
          await run('git', ['add', '-A'], { cwd: dir });
          await run('git', ['diff', '--cached', '--binary'], { cwd: dir });
          rmSync(dir, { recursive: true, force: true });
        }
      }),
    );
    return n / ((performance.now() - t0) / 1000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function measureRss(inFlight: number): Promise<number> {
  let rss = 0;
  log(`throughput: RSS with ${inFlight} sessions in flight`);
  const dataDir2 = makeTempDir('stint-bench-rss-');
  const bare3 = makeBareRepo();
  addSource(dataDir2, 'github/bench/repo', bare3);
  const server2 = await startServer({
    dataDir: dataDir2,
    args: ['--concurrency', String(inFlight)],
    // The default per-tenant limit (100 working sessions) would keep the rest QUEUED.
    env: { STINT_LOG_LEVEL: 'error', STINT_MAX_WORKING_SESSIONS_PER_TENANT: String(inFlight) },
  });
  try {
    const hold = {
      plan: ['hold'],
      steps: [{ write: { path: 'a.txt', content: 'a\n' } }, { sleep: 120_000 }],
    };
    const ids = await createMany(server2, inFlight, scriptPrompt('hold', hold));
    await waitUntil(
      async () => {
        const res = await api(
          server2,
          'GET',
          `/sessions?pageSize=100&filter=${encodeURIComponent('state = IN_PROGRESS')}`,
        );
        let n = res.body.sessions.length;
        let token = res.body.nextPageToken;
        while (token) {
          const more = await api(
            server2,
            'GET',
            `/sessions?pageSize=100&filter=${encodeURIComponent('state = IN_PROGRESS')}&pageToken=${encodeURIComponent(token)}`,
          );
          n += more.body.sessions.length;
          token = more.body.nextPageToken;
        }
        return n >= ids.length;
      },
      300_000,
      500,
    );
    rss = rssMb(server2.proc.pid!);
  } finally {
    await server2.cleanup();
    rmSync(join(bare3, '..'), { recursive: true, force: true });
  }
  return rss;
}

export async function benchThroughput(opts: { sessions: number; inFlight: number }): Promise<Section> {
  const dataDir = makeTempDir('stint-bench-tp-');
  const bare = makeBareRepo();
  addSource(dataDir, 'github/bench/repo', bare);
  const server = await startServer({
    dataDir,
    args: ['--concurrency', '32'],
    env: { STINT_LOG_LEVEL: 'error' },
  });
  let rate = 0;
  let rss = 0;
  let base = 0;
  try {
    log(`throughput: ${opts.sessions} sessions`);
    const t0 = performance.now();
    await createMany(server, opts.sessions, scriptPrompt('bench', BENCH_SCRIPT));
    await waitUntil(async () => (await countDone(server, opts.sessions)) >= opts.sessions, 600_000, 250);
    rate = opts.sessions / ((performance.now() - t0) / 1000);
  } finally {
    await server.cleanup();
    rmSync(join(bare, '..'), { recursive: true, force: true });
  }
  log('throughput: baseline (raw git)');
  const bare2 = makeBareRepo();
  try {
    base = await baseline(bare2, Math.min(opts.sessions, 200), 8);
  } finally {
    rmSync(join(bare2, '..'), { recursive: true, force: true });
  }

  if (opts.inFlight > 0) rss = await measureRss(opts.inFlight);
  return {
    title: 'Session throughput on one node (SQLite)',
    figures: [
      {
        name: 'completed scripted sessions with a source',
        value: round(rate, 1),
        unit: 'sessions/s',
        baselineName: 'the same git work done directly (clone, writes, command, diff; 8 at a time)',
        baseline: round(base, 1),
        ratio: round(rate / base, 2),
        target: '≥ 20 sessions/s',
        met: rate >= 20,
      },
      ...(opts.inFlight > 0
        ? [
            {
              name: `server RSS with ${opts.inFlight} sessions in flight`,
              value: round(rss, 0),
              unit: 'MB',
              target: '< 500 MB',
              met: rss < 500,
            },
          ]
        : []),
    ],
    notes: [
      `${opts.sessions} sessions created 16 at a time over HTTP; each clones the source, writes two files, runs a command and computes its patch; --concurrency 32.`,
    ],
  };
}
