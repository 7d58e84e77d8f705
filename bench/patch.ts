/**
 * Per-session cost that must not grow with the repository: the patch of a session that changed
 * one file in a large generated repository (what a session computes for git_status / git_diff and
 * at the end), when the agent's file tool wrote it (the change feed) and when a command did (a walk
 * of the tree with the checkout's persistent index), against the fresh shadow index of the whole
 * tree (read-tree + add --all: hashes every file); and the disk used by an idle pooled checkout
 * next to the size of the repository's files.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { writeFileInside } from '../src/agents/tools/files.ts';
import { dropFeed } from '../src/workspace/change-feed.ts';
import { type ChangeSet, computeChangeSet } from '../src/workspace/patch.ts';
import { Workspaces } from '../src/workspace/workspaces.ts';
import { makeTempDir } from '../test/support/server.ts';
import { makeBigRepo } from './first-step.ts';
import { gitHelpersCpuMs, log, percentile, round, type Section } from './lib.ts';

const run = promisify(execFile);

/**
 * CPU ms used by git for this process (ticks of 10 ms): its finished children (cutime, cstime of
 * /proc/self/stat) and its git helpers with what they ran (git is started by those).
 */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // Fields 16 and 17 of the full line (cutime, cstime) are 14 and 15 after the command name.
  return (Number(fields[13]) + Number(fields[14])) * 10 + gitHelpersCpuMs(process.pid);
}

// A ready checkout in the pool (`.pool/<mirror>/<branch>/<entry>`), polled for at most 10 minutes.
async function pooledCheckoutReady(pool: string): Promise<void> {
  const visible = (dir: string) =>
    readdir(dir).then(
      (names) => names.filter((n) => !n.startsWith('.')),
      () => [],
    );
  for (let i = 0; i < 3000; i++) {
    for (const mirror of await visible(pool)) {
      for (const branch of await visible(join(pool, mirror))) {
        if ((await visible(join(pool, mirror, branch))).length > 0) return;
      }
    }
    await sleep(200);
  }
  throw new Error('the pool did not refill');
}

async function duKb(path: string): Promise<number> {
  const { stdout } = await run('du', ['-sk', '--', path]);
  return Number(stdout.split('\t')[0]);
}

export async function benchPatch(opts: { files: number; samples: number }): Promise<Section> {
  const root = makeTempDir('stint-bench-patch-');
  const ws = new Workspaces({
    dir: join(root, 'ws'),
    poolSize: 1,
    poolIdleMs: 3600_000,
    maxPooledCheckouts: 4,
  });
  try {
    const bare = await makeBigRepo(join(root, 'repo'), opts.files);
    log(`patch: ${opts.files}-file repository ready`);
    const source = {
      identity: { tenantId: 'default', sourceId: 'github/bench/big', url: bare },
      remote: { url: bare, env: {} },
      branch: 'main',
    };
    const { baseCommitId } = await ws.prepare({ sessionId: 's1', source });
    const dir = ws.dirOf('s1');
    const gitDir = ws.gitDirOf('s1');
    const target = join(dir, 'src', 'd0', 'f0.ts');
    // The pool refills in the background after the take: its git CPU must not land in a sample.
    await pooledCheckoutReady(join(root, 'ws', '.pool'));
    const feed: number[] = [];
    const walk: number[] = [];
    const fresh: number[] = [];
    const cpu = { feed: 0, walk: 0, fresh: 0 };
    const timed = async (fn: () => Promise<ChangeSet>) => {
      const t0 = performance.now();
      const c0 = childCpuMs();
      const result = await fn();
      return { result, ms: performance.now() - t0, cpu: childCpuMs() - c0 };
    };
    const server = () => computeChangeSet(dir, baseCommitId, { serverGitDir: gitDir, tempDir: ws.tempDir });
    const shadow = () => computeChangeSet(dir, baseCommitId, { tempDir: ws.tempDir });
    // The change set from the server git dir (expected to be computed `via`), then the fresh shadow
    // index of the whole tree as the baseline; both must give the same one-file patch.
    const sample = async (via: 'feed' | 'walk', into: number[]) => {
      const a = await timed(server);
      const b = await timed(shadow);
      if (
        a.result.via !== via ||
        a.result.unidiffPatch !== b.result.unidiffPatch ||
        a.result.files.length !== 1
      ) {
        throw new Error(`${via}: computed by ${a.result.via}, or the patches differ`);
      }
      into.push(a.ms);
      cpu[via] += a.cpu;
      fresh.push(b.ms);
      cpu.fresh += b.cpu;
    };
    for (let i = 0; i < opts.samples; i++) {
      // The agent's file tool writes the file: the change feed names it.
      await writeFileInside(dir, 'src/d0/f0.ts', `// changed by a tool ${i}\n`);
      await sample('feed', feed);
      // A command changes it (the sandbox drops the feed around every command): a walk.
      await dropFeed(gitDir);
      writeFileSync(target, `// changed by a command ${i}\n`);
      await sample('walk', walk);
    }
    // The floor of any stat walk: `git status` on a plain clone of the same tree with a warm index
    // (one lstat per tracked file, one readdir per directory), interleaved with nothing else.
    const plain = join(root, 'plain');
    await run('git', ['clone', '-q', '--no-local', '--', bare, plain]);
    const status: number[] = [];
    for (let i = 0; i < opts.samples; i++) {
      writeFileSync(join(plain, 'src', 'd0', 'f0.ts'), `// changed ${i}\n`);
      const t0 = performance.now();
      await run('git', ['status', '--porcelain'], { cwd: plain });
      status.push(performance.now() - t0);
    }
    // Disk: a finished session's checkout waiting in the pool (files + server git dir + agent .git).
    await ws.release('s1');
    await ws.close();
    const pool = join(root, 'ws', '.pool');
    const pooledKb = await duKb(pool);
    const treeKb = await duKb(join(root, 'repo', 'seed'));
    // Mean git CPU of one way of computing, against the fresh shadow index.
    const freshCpu = cpu.fresh / fresh.length;
    const gitCpuFigure = (way: string, total: number) => ({
      name: `git CPU (user + sys) per patch computation, ${way} (mean)`,
      value: round(total / opts.samples, 1),
      unit: 'ms',
      baselineName: 'fresh shadow index',
      baseline: round(freshCpu, 1),
      ratio: round(total / opts.samples / Math.max(1, freshCpu), 3),
    });
    const p50 = percentile(feed, 50);
    const w50 = percentile(walk, 50);
    const f50 = percentile(fresh, 50);
    const s50 = percentile(status, 50);
    return {
      title: `Patch of a one-file change in a ${opts.files}-file repository`,
      figures: [
        {
          name: "patch computation, file written by the agent's file tool (change feed) (p50)",
          value: round(p50, 1),
          unit: 'ms',
          baselineName: 'fresh shadow index per computation (the first way)',
          baseline: round(f50, 1),
          ratio: round(p50 / f50, 3),
          ...(opts.files >= 50_000 ? { target: '< 50 ms', met: p50 < 50 } : {}),
        },
        {
          name: 'patch computation, change feed (p90)',
          value: round(percentile(feed, 90), 1),
          unit: 'ms',
        },
        gitCpuFigure('change feed', cpu.feed),
        {
          name: 'patch computation after a command changed the file (walk, persistent server index) (p50)',
          value: round(w50, 1),
          unit: 'ms',
          baselineName: '`git status --porcelain` on a plain clone of the same tree, warm index (p50)',
          baseline: round(s50, 1),
          ratio: round(w50 / s50, 2),
        },
        {
          name: 'patch computation after a command (walk) (p90)',
          value: round(percentile(walk, 90), 1),
          unit: 'ms',
        },
        gitCpuFigure('walk', cpu.walk),
        {
          name: 'disk per idle pooled checkout',
          value: round(pooledKb / 1024, 1),
          unit: 'MiB',
          baselineName: "the repository's files alone (a plain working tree with its .git)",
          baseline: round(treeKb / 1024, 1),
          ratio: round(pooledKb / treeKb, 2),
        },
      ],
      notes: [
        `${opts.samples} samples, two computations each, every result checked against a fresh shadow index of the whole tree: (1) the agent's file tool rewrites one file, and the change set looks only at the paths the change feed names (src/workspace/change-feed.ts): a few git calls on a scratch index of those paths, nothing that grows with the repository; (2) a command rewrites it (the sandbox drops the feed around every command), and the change set walks the tree with the checkout's persistent index: one lstat per tracked file and reading the index, so it cannot be faster than \`git status\` on the same tree, and it starts the feed again (the next file-tool edit is cheap again).`,
        "A pooled checkout holds the files, the server git dir (depth-1 pack + index) and the agent's .git (a copy of the pack + index): about the working tree plus two packs.",
      ],
    };
  } finally {
    await ws.close();
    await run('rm', ['-rf', '--', root]);
  }
}
