/**
 * Mirror pins at scale: the per-session costs that used to grow with every session a source had
 * (a loose ref per session that each fetch read and the janitor checked one by one), measured on
 * a store and mirror that already hold 100,000 sessions on one source, next to the same
 * operations on a fresh data directory, sample by sample in alternation (same machine load).
 * The history is generated: session rows and their pins inserted straight into SQLite, their
 * base commits (1,000: the branch moved 1,000 times) made with fast-import and pinned with one
 * ref transaction; everything measured runs Stint's own code (Workspaces, MirrorPins, the store).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { newSessionId } from '../src/domain/ids.ts';
import type { SqlStore } from '../src/store/sql/sql-store.ts';
import { openSqliteStore } from '../src/store/sqlite/open.ts';
import { MirrorPins } from '../src/workspace/mirror/pins.ts';
import { Workspaces } from '../src/workspace/workspaces.ts';
import { sessionFixture } from '../test/contracts/store.contract.ts';
import { makeTempDir } from '../test/support/server.ts';
import { makeBigRepo } from './first-step.ts';
import { log, percentile, round, type Section } from './lib.ts';

const run = promisify(execFile);
const git = async (cwd: string, args: string[], input?: string) => {
  const p = run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    p.child.stdin!.end(input);
  }
  return (await p).stdout.trim();
};

export interface PinsOptions {
  sessions: number;
  commits: number;
  samples: number;
}

interface Side {
  name: string;
  store: SqlStore;
  workspaces: Workspaces;
  pins: MirrorPins;
  times: { pin: number[]; fetch: number[]; sweep: number[] };
}

export async function benchPins(o: PinsOptions): Promise<Section> {
  const root = makeTempDir('stint-bench-pins-');
  const bare = await makeBigRepo(root, 5000);
  const tip = await git(bare, ['rev-parse', 'HEAD']);
  const source = {
    identity: { tenantId: 'default', sourceId: 'github/bench/pins', url: bare },
    remote: { url: bare, env: {} },
    branch: 'main',
  };
  const open = async (name: string): Promise<Side> => {
    const dataDir = join(root, name);
    const store = await openSqliteStore({ dataDir });
    const pins = new MirrorPins(store.pins);
    const workspaces = new Workspaces({
      dir: join(dataDir, 'workspaces'),
      poolSize: 0,
      poolIdleMs: 0,
      maxPooledCheckouts: 0,
      pins,
    });
    await workspaces.start();
    await workspaces.fetchMirror(source);
    return { name, store, workspaces, pins, times: { pin: [], fetch: [], sweep: [] } };
  };
  const fresh = await open('fresh');
  const aged = await open('aged');
  const mirrorOf = (s: Side) => s.workspaces.mirrors.get(source.identity);

  // The history of the aged side.
  const t0 = performance.now();
  const commits = await makeCommits(mirrorOf(aged).dir, tip, o.commits);
  await git(
    mirrorOf(aged).dir,
    ['update-ref', '--stdin'],
    commits.map((c) => `create refs/stint/commit/${c} ${c}\n`).join(''),
  );
  await git(mirrorOf(aged).dir, ['pack-refs', '--all']);
  const key = await aged.pins.keyOf(mirrorOf(aged));
  insertHistory(join(root, 'aged', 'stint.db'), key, commits, o.sessions);
  // A restarted server: its pins start from what is on disk.
  aged.pins = new MirrorPins(aged.store.pins);
  await aged.workspaces.close();
  aged.workspaces = new Workspaces({
    dir: join(root, 'aged', 'workspaces'),
    poolSize: 0,
    poolIdleMs: 0,
    maxPooledCheckouts: 0,
    pins: aged.pins,
  });
  const generatedS = round((performance.now() - t0) / 1000, 1);
  log(`pins: generated ${o.sessions} sessions over ${o.commits} commits in ${generatedS} s`);
  const counted = Object.values(await aged.store.pins.pinCounts(key)).reduce((a, b) => a + b, 0);
  if (counted !== o.sessions) throw new Error(`expected ${o.sessions} counted pins, found ${counted}`);

  // Warm-up, then alternate sides sample by sample.
  for (const side of [fresh, aged]) await sampleOnce(side, source, bare, false);
  for (let i = 0; i < o.samples; i++) {
    for (const side of i % 2 === 0 ? [fresh, aged] : [aged, fresh])
      await sampleOnce(side, source, bare, true);
  }
  const refsAfter = (await git(mirrorOf(aged).dir, ['for-each-ref', '--format=x', 'refs/stint/'])).split(
    '\n',
  ).length;
  const stillCounted = Object.values(await aged.store.pins.pinCounts(key)).reduce((a, b) => a + b, 0);
  for (const side of [fresh, aged]) {
    await side.workspaces.close();
    await side.store.close();
  }
  await run('rm', ['-rf', root]);

  const med = (xs: number[]) => round(percentile(xs, 50), 2);
  const target = '≤ 1.5 × the fresh data directory (flat)';
  const figure = (name: string, what: keyof Side['times']) => {
    const value = med(aged.times[what]);
    const baseline = med(fresh.times[what]);
    const ratio = round(value / baseline, 2);
    return {
      name,
      value,
      unit: 'ms median',
      baselineName: 'fresh data directory',
      baseline,
      ratio,
      target,
      met: ratio <= 1.5,
    };
  };
  return {
    title: `Mirror pins after ${o.sessions.toLocaleString('en-US')} sessions on one source`,
    figures: [
      figure('session start: pin its base commit', 'pin'),
      figure('mirror fetch of one new commit', 'fetch'),
      figure('janitor sweep dropping one unneeded pin', 'sweep'),
    ],
    notes: [
      `${o.samples} samples per figure, the two data directories alternating; a 5,000-file repository; SQLite store.`,
      `Aged side: ${o.sessions.toLocaleString('en-US')} sessions pinning ${o.commits.toLocaleString('en-US')} base commits (generated in ${generatedS} s, see bench/pins.ts); after the run it held ${stillCounted} counted pins and ${refsAfter} pin refs (one per commit, packed) — not one per session.`,
      'Session start = MirrorPins.pin for the branch tip, as Workspaces.prepare does (a store insert; a ref only for a commit pinned for the first time). Fetch = Workspaces.fetchMirror after one commit was pushed to the source. Sweep = Workspaces.prunePins (what the janitor runs every minute) after a session whose base no other session shares was deleted: one query for commits whose count reached zero, one ref transaction.',
      'Before this, each session left refs/stint/base/<id> in the mirror until it was deleted, and the sweep made one getSession per such ref.',
    ],
  };
}

async function sampleOnce(
  side: Side,
  source: Parameters<Workspaces['fetchMirror']>[0] & { branch: string },
  bare: string,
  record: boolean,
): Promise<void> {
  const mirror = side.workspaces.mirrors.get(source.identity);
  // Session start on the tip (shared by most sessions).
  const s = sessionFixture('default');
  await side.store.createSession(s, { wantsWork: false }, []);
  const tip = (await mirror.resolveBranch('main'))!;
  let t = performance.now();
  await side.pins.pin(mirror, s.id, tip);
  if (record) side.times.pin.push(performance.now() - t);

  // A push to the source, then the fetch every session start makes.
  const head = await git(bare, ['rev-parse', 'refs/heads/main']);
  const tree = await git(bare, ['rev-parse', `${head}^{tree}`]);
  const next = await git(bare, ['commit-tree', tree, '-p', head, '-m', `bench ${newSessionId()}`]);
  await git(bare, ['update-ref', 'refs/heads/main', next]);
  t = performance.now();
  await side.workspaces.fetchMirror(source);
  if (record) side.times.fetch.push(performance.now() - t);

  // A session on a base of its own, deleted: the sweep drops that one pin.
  const lone = sessionFixture('default');
  await side.store.createSession(lone, { wantsWork: false }, []);
  const own = await git(mirror.dir, ['commit-tree', tree, '-p', next, '-m', `lone ${lone.id}`]);
  await side.pins.pin(mirror, lone.id, own);
  await side.store.deleteSession(lone.id);
  t = performance.now();
  await side.workspaces.prunePins();
  if (record) side.times.sweep.push(performance.now() - t);
}

/** `n` commits on top of `from` (same tree), made by one fast-import. */
async function makeCommits(gitDir: string, from: string, n: number): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    const msg = `history ${i}\n`;
    lines.push(
      'commit refs/stint-bench/history',
      `mark :${i}`,
      `committer Bench <bench@example.invalid> ${1_700_000_000 + i} +0000`,
      `data ${Buffer.byteLength(msg)}`,
      msg,
      i === 1 ? `from ${from}` : `from :${i - 1}`,
      '',
    );
  }
  const marks = join(gitDir, 'bench-marks');
  await git(gitDir, ['fast-import', '--quiet', `--export-marks=${marks}`], `${lines.join('\n')}\n`);
  await git(gitDir, ['update-ref', '-d', 'refs/stint-bench/history']);
  const out = await run('cat', [marks]);
  await run('rm', ['-f', marks]);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[1]!);
}

/** Session rows and their pins, straight into SQLite (the triggers keep the counts). */
function insertHistory(file: string, mirror: string, commits: string[], sessions: number): void {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  const insSession =
    db.prepare(`insert into sessions (id, tenant_id, prompt, title, require_plan_approval, automation_mode,
    state, archived, outputs, create_time, update_time, wants_work, last_seq, activity_count, last_activity_time)
    values (?, 'default', 'generated prompt', 'generated', 0, 'AUTOMATION_MODE_UNSPECIFIED', 'COMPLETED', 0, '[]', ?, ?, 0, 0, 0, 0)`);
  const insPin = db.prepare('insert into mirror_pins (mirror, commit_id, session_id) values (?, ?, ?)');
  const base = 1_700_000_000_000_000;
  const batch = 20_000;
  for (let start = 0; start < sessions; start += batch) {
    db.transaction(() => {
      for (let i = start; i < Math.min(sessions, start + batch); i++) {
        const id = String(3_000_000_000_000_000_000n + BigInt(i));
        insSession.run(id, base + i, base + i);
        // Sessions follow the branch: consecutive ones share a base commit.
        insPin.run(mirror, commits[Math.floor((i * commits.length) / sessions)]!, id);
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

if (import.meta.main) {
  const r = await benchPins({
    sessions: Number(process.env.BENCH_PIN_SESSIONS ?? 100_000),
    commits: 1000,
    samples: Number(process.env.BENCH_SAMPLES ?? 30),
  });
  console.log(JSON.stringify(r, null, 2));
}
