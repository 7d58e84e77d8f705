/**
 * Profile of a burst of scripted sessions (not part of `npm run bench`; its findings go to
 * bench/notes.md): N sessions created at once on a generated repository, with every child process
 * the server spawns traced (bench/spawn-trace.ts). Prints sessions/s, the server's CPU time, and per
 * program/git subcommand: count per session, total and median wall ms.
 *
 *   npx node bench/session-profile.ts [files=5000] [sessions=100] [concurrency=32]
 * Extra server environment: PROFILE_ENV='{"STINT_WORKSPACE_POOL_MAX":"64"}'; PROFILE_CPU=dir writes a
 * --cpu-prof of the server there; PROFILE_FS=file counts its fs calls (bench/fs-trace.ts).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { addSource, scriptPrompt } from '../test/support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../test/support/server.ts';
import { makeBigRepo } from './first-step.ts';
import { cpuMs, gitHelperPids, gitHelpersCpuMs, percentile, round, SERVER_ENTRY } from './lib.ts';
import { BENCH_SCRIPT, countDone, createMany } from './throughput.ts';

const files = Number(process.argv[2] ?? 5000);
const sessions = Number(process.argv[3] ?? 100);
const concurrency = Number(process.argv[4] ?? 32);
const extraEnv = JSON.parse(process.env.PROFILE_ENV ?? '{}') as Record<string, string>;

/** CPU ms of the server's helper processes themselves (forks, IPC), git helpers and watcher apart. */
function helpersOwnCpuMs(pid: number): { git: number; watch: number } {
  const own = { git: 0, watch: 0 };
  for (const helper of gitHelperPids(pid)) {
    try {
      const watcher = readFileSync(`/proc/${helper}/cmdline`, 'utf8').includes('watch-process');
      own[watcher ? 'watch' : 'git'] += cpuMs(helper);
    } catch {
      // Gone meanwhile.
    }
  }
  return own;
}

/** CPU ms the whole machine has spent (every core, all but idle and iowait), from /proc/stat. */
function machineCpuMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
}

/** CPU ms of each thread of a process, summed by thread name (the main thread is the process's name). */
function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Gone meanwhile.
    }
  }
  return byName;
}

const root = makeTempDir('stint-profile-');
const trace = join(root, 'spawns.jsonl');
try {
  const bare = await makeBigRepo(join(root, 'repo'), files);
  const dataDir = join(root, 'data');
  addSource(dataDir, 'github/bench/repo', bare);
  const preload = resolve(import.meta.dirname, 'spawn-trace.ts');
  const cpuProf = process.env.PROFILE_CPU;
  const fsTrace = process.env.PROFILE_FS;
  const fsPreload = resolve(import.meta.dirname, 'fs-trace.ts');
  const server = await startServer({
    entry: SERVER_ENTRY,
    dataDir,
    args: ['--concurrency', String(concurrency)],
    env: {
      STINT_LOG_LEVEL: 'error',
      STINT_SPAWN_TRACE: trace,
      ...(fsTrace ? { STINT_FS_TRACE: fsTrace } : {}),
      NODE_OPTIONS: `--import ${preload}${fsTrace ? ` --import ${fsPreload}` : ''}${cpuProf ? ` --cpu-prof --cpu-prof-dir=${cpuProf}` : ''}`,
      ...extraEnv,
    },
    timeoutMs: 120_000,
  });
  try {
    const [warm] = await createMany(server, 1, scriptPrompt('warm', BENCH_SCRIPT), 1);
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${warm}`)).body.state === 'COMPLETED',
      600_000,
    );
    const settle = Number(process.env.PROFILE_SETTLE_MS ?? 0);
    if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    rmSync(trace, { force: true });
    const pid = server.proc.pid!;
    const c0 = cpuMs(pid);
    const th0 = threadCpuMs(pid);
    const k0 = cpuMs(pid, true) + gitHelpersCpuMs(pid);
    const h0 = helpersOwnCpuMs(pid);
    const m0 = machineCpuMs();
    const t0 = performance.now();
    const tStart = Date.now();
    // PROFILE_PERF=<file>: `perf record -a` over the burst alone (every process on the machine).
    const perf = process.env.PROFILE_PERF
      ? spawn('perf', ['record', '-a', '-F', '499', '-g', '-o', process.env.PROFILE_PERF], {
          stdio: 'ignore',
        })
      : undefined;
    // The machine's CPU in each half second of the burst (% of all cores), beside the completions.
    const busy: number[] = [];
    let lastBusy = machineCpuMs();
    const sampler = setInterval(() => {
      const now = machineCpuMs();
      busy.push(Math.round((100 * (now - lastBusy)) / (500 * availableParallelism())));
      lastBusy = now;
    }, 500);
    await createMany(server, sessions, scriptPrompt('bench', BENCH_SCRIPT), sessions);
    // Done when no session is in any state but COMPLETED (one session asked for): the same test as
    // counting the completed ones, without listing all of them (136 KB) ten times a second.
    let polls = 0;
    const notDone = `/sessions?pageSize=1&filter=${encodeURIComponent('state != COMPLETED')}`;
    const poll = async () => {
      polls++;
      return (await api(server, 'GET', notDone)).body.sessions?.length === 0;
    };
    await waitUntil(poll, 900_000, 100);
    const wall = performance.now() - t0;
    clearInterval(sampler);
    if (perf) {
      const exited = new Promise((r) => perf.once('exit', r));
      perf.kill('SIGINT');
      await exited;
    }
    const machine = machineCpuMs() - m0;
    const cpu = cpuMs(pid) - c0;
    const threads = [...threadCpuMs(pid)]
      .map(([name, ms]) => [name, ms - (th0.get(name) ?? 0)] as const)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1]);
    const completed = await countDone(server, sessions + 1);
    const timeline = await completionTimeline(server, tStart, wall);
    if (completed !== sessions + 1) throw new Error(`${completed} of ${sessions + 1} sessions completed`);
    // What one poll costs the server: the bench's own share of the burst's server CPU.
    const p0 = cpuMs(pid);
    for (let i = 0; i < 100; i++) await poll();
    const pollMs = (cpuMs(pid) - p0) / 100;
    polls -= 100;
    const kids = cpuMs(pid, true) + gitHelpersCpuMs(pid) - k0;
    const h1 = helpersOwnCpuMs(pid);
    const lines = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; sub: string; started: number; ms: number })
      .filter((l) => l.started >= tStart);
    const groups = new Map<string, number[]>();
    for (const l of lines) {
      const program = l.file.split('/').pop()!;
      // git: its subcommand; others: the program alone (find's first argument is a path).
      const key = program === 'git' ? `git ${l.sub}` : program;
      groups.set(key, [...(groups.get(key) ?? []), l.ms]);
    }
    if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, server.output());
    // PROFILE_SPAWNS=<file>: the burst's spawn trace (with pids, to join with PROFILE_PERF's samples).
    if (process.env.PROFILE_SPAWNS)
      writeFileSync(process.env.PROFILE_SPAWNS, lines.map((l) => JSON.stringify(l)).join('\n'));
    // PROFILE_LOG=<file>: the server's whole log, for timelines (with PROFILE_ENV's debug level).
    if (process.env.PROFILE_LOG) writeFileSync(process.env.PROFILE_LOG, server.output());
    const vias = new Map<string, number>();
    for (const m of server.output().matchAll(/"via":"(\w+)"/g)) vias.set(m[1]!, (vias.get(m[1]!) ?? 0) + 1);
    const rows = [...groups].sort((a, b) => sum(b[1]) - sum(a[1]));
    process.stdout.write(
      `${sessions} sessions at once on ${files} files, --concurrency ${concurrency}, ${JSON.stringify(extraEnv)}\n` +
        `load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n` +
        `wall ${round(wall / 1000, 1)} s → ${round(sessions / (wall / 1000), 2)} sessions/s; server CPU ${round(cpu / 1000, 1)} s (${round(cpu / sessions, 0)} ms/session); its child processes (git helpers and what they ran included, but not what ran inside a sandbox: its PID namespace keeps that out) ${round(kids / sessions, 0)} ms/session\n` +
        `the whole machine's CPU: ${round(machine / sessions, 0)} ms/session (this bench's own client and anything else running included), ${round((100 * machine) / (wall * availableParallelism()), 0)}% of its cores\n` +
        `of which the helper processes' own (not what they ran), ms/session: git helpers ${round((h1.git - h0.git) / sessions, 1)}, change watcher ${round((h1.watch - h0.watch) / sessions, 1)}\n` +
        `the bench's polls: ${polls}, ${round((polls * pollMs) / sessions, 1)} ms/session (${round(pollMs, 2)} ms each)\n` +
        `server threads, ms/session: ${threads.map(([name, ms]) => `${name} ${round(ms / sessions, 1)}`).join(', ')}\n` +
        `checkouts (debug log): ${JSON.stringify(Object.fromEntries(vias))}\n` +
        `sessions completed per 0.5 s of the burst: ${timeline.join(' ')}\n` +
        `the machine's CPU per 0.5 s (% of its cores):  ${busy.join(' ')}\n` +
        `spawns: ${lines.length} (${round(lines.length / sessions, 1)} per session)\n` +
        rows
          .map(
            ([k, ms]) =>
              `  ${k.padEnd(28)} ${String(round(ms.length / sessions, 2)).padStart(6)}/session  total ${String(round(sum(ms) / 1000, 1)).padStart(7)} s  p50 ${round(percentile(ms, 50), 0)} ms  p90 ${round(percentile(ms, 90), 0)} ms`,
          )
          .join('\n') +
        '\n',
    );
  } finally {
    await server.stop();
    await server.cleanup();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** How many sessions completed in each half second since `since` (their updateTime), `wall` ms long. */
async function completionTimeline(server: StartedServer, since: number, wall: number): Promise<number[]> {
  const buckets = new Array<number>(Math.ceil(wall / 500) + 1).fill(0);
  let token: string | undefined;
  do {
    const page = await api(
      server,
      'GET',
      `/sessions?pageSize=100${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`,
    );
    for (const s of page.body.sessions as { updateTime: string }[]) {
      const at = Date.parse(s.updateTime) - since;
      if (at >= 0) buckets[Math.min(buckets.length - 1, Math.floor(at / 500))]!++;
    }
    token = page.body.nextPageToken;
  } while (token);
  return buckets;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
