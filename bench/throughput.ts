/**
 * 3. Session throughput: scripted sessions on a generated repository of 5,000 (and, at
 * BENCH_SCALE >= 1, 50,000) files (checkout, two writes, a command, patch), all created at once,
 * completed per second on one node, against the same git work done directly (git clone
 * --no-local); and server RSS with 200 sessions in flight on the 5,000-file repository.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addSource, scriptPrompt } from '../test/support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../test/support/server.ts';
import { makeBigRepo } from './first-step.ts';
import {
  cpuMs,
  gitHelperPids,
  gitHelpersCpuMs,
  log,
  pssMb,
  round,
  rssMb,
  SERVER_ENTRY,
  type Section,
} from './lib.ts';

const run = promisify(execFile);

/** The session every throughput figure runs: checkout, two writes, a command, a patch. */
export const BENCH_COMMAND = 'git status --short';
/**
 * What each bench session does: the workload of issue #14's report (write a file, run `git status
 * --short`, write another file). `git status` stats every file of the checkout, so part of each
 * session's cost grows with the repository whatever Stint does; the baseline runs it too.
 */
export const BENCH_SCRIPT = {
  plan: ['Edit two files', 'Check'],
  steps: [
    { write: { path: 'src/app.txt', content: 'line 1\nline two\n' } },
    { run: BENCH_COMMAND },
    { write: { path: 'NOTES.md', content: 'notes\n' } },
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

/** One session that is not finished yet (neither completed nor failed), if any. */
const UNFINISHED = `/sessions?pageSize=1&filter=${encodeURIComponent('state != COMPLETED AND state != FAILED')}`;

export async function countDone(server: StartedServer, total: number): Promise<number> {
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
            '--no-local',
            '--no-tags',
            '--single-branch',
            '--branch',
            'main',
            '--',
            bare,
            dir,
          ]);
          writeFileSync(join(dir, 'src/app.txt'), 'line 1\nline two\n');
          await run('/bin/sh', ['-c', BENCH_COMMAND], { cwd: dir });
          writeFileSync(join(dir, 'NOTES.md'), 'notes\n');
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

interface RssReading {
  /** RSS of the server and its helpers, added up (each counts the pages of Node it shares). */
  total: number;
  server: number;
  helpers: number[];
  /** The same processes' proportional set size: shared pages counted once, split between them. */
  pss: number;
}

async function measureRss(bare: string, inFlight: number): Promise<RssReading> {
  log(`throughput: RSS with ${inFlight} sessions in flight`);
  const dataDir2 = makeTempDir('stint-bench-rss-');
  addSource(dataDir2, 'github/bench/repo', bare);
  const server2 = await startServer({
    entry: SERVER_ENTRY,
    dataDir: dataDir2,
    args: ['--concurrency', String(inFlight)],
    // The default per-tenant limit (100 working sessions) would keep the rest QUEUED.
    env: { STINT_LOG_LEVEL: 'error', STINT_MAX_WORKING_SESSIONS_PER_TENANT: String(inFlight) },
    timeoutMs: 120_000,
  });
  try {
    const hold = {
      plan: ['hold'],
      steps: [{ write: { path: 'a.txt', content: 'a\n' } }, { sleep: 600_000 }],
    };
    const ids = await createMany(server2, inFlight, scriptPrompt('hold', hold));
    await waitUntil(
      async () => {
        // A session that failed will never be in flight: say so now, not after the whole wait.
        const failed = await api(
          server2,
          'GET',
          `/sessions?pageSize=1&filter=${encodeURIComponent('state = FAILED')}`,
        );
        if (failed.body.sessions.length > 0) {
          throw new Error(`a session of the RSS phase failed: ${JSON.stringify(failed.body.sessions[0])}`);
        }
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
      900_000,
      500,
    );
    // The server and its git helper processes (src/workspace/git-helpers.ts): git is started there.
    const pid = server2.proc.pid!;
    const helpers = gitHelperPids(pid);
    const server = rssMb(pid);
    const helperRss = helpers.map(rssMb);
    return {
      total: server + helperRss.reduce((a, b) => a + b, 0),
      server,
      helpers: helperRss,
      pss: [pid, ...helpers].reduce((sum, p) => sum + pssMb(p), 0),
    };
  } finally {
    await server2.cleanup();
  }
}

interface RepoRun {
  files: number;
  rate: number;
  base: number;
  /** CPU ms per session of the burst: the server process, and its helpers and child processes. */
  serverCpuMs: number;
  childCpuMs: number;
  /** CPU ms of the sessions' command alone, run in a plain clone of the same repository. */
  commandCpuMs: number;
}

async function onRepo(root: string, files: number, sessions: number): Promise<RepoRun & { bare: string }> {
  const bare = await makeBigRepo(join(root, `r${files}`), files);
  const dataDir = makeTempDir('stint-bench-tp-');
  addSource(dataDir, 'github/bench/repo', bare);
  const server = await startServer({
    entry: SERVER_ENTRY,
    dataDir,
    args: ['--concurrency', '32'],
    env: { STINT_LOG_LEVEL: 'error' },
    timeoutMs: 120_000,
  });
  let rate = 0;
  let serverCpuMs = 0;
  let childCpuMs = 0;
  try {
    // Warm: the mirror exists (a source in use), as for every session after the first.
    const [warm] = await createMany(server, 1, scriptPrompt('warm', BENCH_SCRIPT), 1);
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${warm}`)).body.state === 'COMPLETED',
      600_000,
    );
    log(`throughput: ${sessions} sessions at once on ${files} files`);
    const pid = server.proc.pid!;
    const children = () => cpuMs(pid, true) + gitHelpersCpuMs(pid);
    const [s0, c0] = [cpuMs(pid), children()];
    const t0 = performance.now();
    await createMany(server, sessions, scriptPrompt('bench', BENCH_SCRIPT), sessions);
    // Done when no session is still to finish: one small page per poll (listing every completed
    // session, 136 KB, four times a second, cost the server ~3% of its CPU during the burst).
    await waitUntil(
      async () => (await api(server, 'GET', UNFINISHED)).body.sessions?.length === 0,
      900_000,
      250,
    );
    rate = sessions / ((performance.now() - t0) / 1000);
    const done = await countDone(server, sessions + 1);
    if (done !== sessions + 1) throw new Error(`${done} of ${sessions + 1} sessions completed`);
    serverCpuMs = (cpuMs(pid) - s0) / sessions;
    childCpuMs = (children() - c0) / sessions;
    log(`throughput: ${round(rate, 1)} sessions/s on ${files} files`);
  } finally {
    await server.cleanup();
  }
  log(`throughput: baseline (raw git) on ${files} files`);
  const base = await baseline(bare, Math.min(sessions, 40), 8);
  log(`throughput: baseline ${round(base, 1)} sessions/s`);
  const commandCpuMs = await commandCpu(bare);
  return { files, rate, base, bare, serverCpuMs, childCpuMs, commandCpuMs };
}

/** CPU ms of one run of the bench's command in a plain clone (index settled), median of 7. */
async function commandCpu(bare: string): Promise<number> {
  const dir = join(makeTempDir('stint-bench-cmd-'), 'clone');
  try {
    await run('git', ['clone', '-q', '--no-local', '--', bare, dir]);
    // The clone's files and index share their second: let git trust the index first.
    await new Promise((r) => setTimeout(r, 1100));
    await run('git', ['update-index', '-q', '--refresh'], { cwd: dir });
    const samples: number[] = [];
    for (let i = 0; i < 7; i++) {
      const c0 = cpuMs(process.pid, true);
      await run('/bin/sh', ['-c', BENCH_COMMAND], { cwd: dir });
      samples.push(cpuMs(process.pid, true) - c0);
    }
    return samples.sort((a, b) => a - b)[3]!;
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

export async function benchThroughput(opts: {
  sessions: number;
  inFlight: number;
  bigRepo?: boolean;
}): Promise<Section> {
  const root = makeTempDir('stint-bench-repos-');
  const runs: RepoRun[] = [];
  let rss: RssReading | undefined;
  let rssError: string | undefined;
  try {
    const small = await onRepo(root, 5000, opts.sessions);
    runs.push(small);
    if (opts.bigRepo) runs.push(await onRepo(root, 50_000, opts.sessions));
    if (opts.inFlight > 0) {
      rss = await measureRss(small.bare, opts.inFlight).catch((e: Error) => {
        rssError = e.message;
        return undefined;
      });
      log(`throughput: RSS ${round(rss?.total ?? Number.NaN, 0)} MB`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return {
    title: 'Session throughput on one node (SQLite)',
    figures: [
      ...runs.map((r) => ({
        name: `completed scripted sessions, ${opts.sessions} created at once, ${r.files}-file repository`,
        value: round(r.rate, 1),
        unit: 'sessions/s',
        baselineName:
          'the same git work done directly (clone --no-local, writes, command, diff; 8 at a time)',
        baseline: round(r.base, 1),
        ratio: round(r.rate / r.base, 2),
        target: r.files >= 50_000 ? '≥ 5 sessions/s' : '≥ 20 sessions/s',
        met: r.rate >= (r.files >= 50_000 ? 5 : 20),
      })),
      ...(opts.inFlight > 0
        ? [
            {
              name: `server RSS, its git helper processes included, with ${opts.inFlight} sessions in flight (5000-file repository)`,
              value: round(rss?.total ?? Number.NaN, 0),
              unit: 'MB',
              target: '< 500 MB',
              met: (rss?.total ?? Number.NaN) < 500,
            },
          ]
        : []),
    ],
    notes: [
      ...(rssError ? [`The RSS measurement failed in this run: ${rssError}.`] : []),
      ...(rss
        ? [
            `RSS with ${opts.inFlight} sessions in flight, read once all of them are IN_PROGRESS: the server ${round(rss.server, 0)} MB and its ${rss.helpers.length} helper processes (git helpers, change watcher) ${rss.helpers.map((h) => round(h, 0)).join(', ')} MB, added up; each of them counts the pages of the Node binary it shares with the others, so the memory they take together (their proportional set sizes) is ${round(rss.pss, 0)} MB. The server runs as \`npm start\` runs it (tsc's build); run from the TypeScript sources, every process also holds Node's type stripper (bench/notes.md).`,
          ]
        : []),
      `${opts.sessions} sessions created at once over HTTP on a warm source (its mirror exists); each gets a checkout (a reused one reset to the tip, or a new one), writes a file, runs \`${BENCH_COMMAND}\` in the sandbox, writes another file and computes its patch; --concurrency 32.`,
      ...runs.map(
        (r) =>
          `${r.files} files: CPU per session ~${round(r.serverCpuMs + r.childCpuMs + r.commandCpuMs, 0)} ms: the server ${round(r.serverCpuMs, 0)}, its helper and child processes ${round(r.childCpuMs, 0)} (git, new checkouts, bubblewrap itself), and the command, ${round(r.commandCpuMs, 0)} as measured alone in a plain clone (what runs inside the sandbox is reaped in its own PID namespace and never reaches the server's accounting). With ${cpus().length} cores, CPU bounds the rate at ~${round((cpus().length * 1000) / (r.serverCpuMs + r.childCpuMs + r.commandCpuMs), 1)} sessions/s (the rate measured: ${round((100 * r.rate * (r.serverCpuMs + r.childCpuMs + r.commandCpuMs)) / (cpus().length * 1000), 0)} % of the cores); the command alone bounds it at ${round((cpus().length * 1000) / Math.max(1, r.commandCpuMs), 1)}.`,
      ),
    ],
  };
}
