/**
 * Setup and its cache on a real Node project: a repository whose package.json depends on a few
 * hundred generated packages (each a `file:` tarball in the repository, so `npm ci --offline`
 * installs them with no network), a source whose setup is `npm ci`, and the same repository as a
 * source without setup. Measured in one run: the first step of a session whose setup comes from a
 * warm cache, next to the first step of the same session without setup (the ratio), and the first
 * step when setup runs (cache off: the cold setup time).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addSource, scriptPrompt } from '../test/support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../test/support/server.ts';
import { log, percentile, round, SERVER_ENTRY, type Section } from './lib.ts';

const run = promisify(execFile);
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@localhost',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@localhost',
};
const git = (cwd: string, ...args: string[]) =>
  run('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: GIT_ENV, maxBuffer: 64 << 20 });
const NPM_CI = 'npm ci --offline --no-audit --no-fund --loglevel=error';

export interface SetupBenchOptions {
  /** Generated dependencies (default 300). */
  packages?: number;
  /** Files per package (default 12). */
  filesPerPackage?: number;
  /** Sessions per kind (default 5); medians are reported. */
  samples?: number;
}

export async function benchSetupCache(opts: SetupBenchOptions = {}): Promise<Section> {
  const packages = opts.packages ?? 300;
  const perPackage = opts.filesPerPackage ?? 12;
  const samples = opts.samples ?? 5;
  const root = makeTempDir('stint-bench-setup-');
  let server: StartedServer | undefined;
  try {
    const t0 = performance.now();
    const bare = await makeNodeProject(root, packages, perPackage);
    log(`setup-cache: project with ${packages} dependencies ready in ${round(performance.now() - t0)} ms`);
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    addSource(dataDir, 'github/bench/plain', bare);
    addSource(dataDir, 'github/bench/setup', bare, '--setup', NPM_CI);
    addSource(dataDir, 'github/bench/cold', bare, '--setup', NPM_CI, '--no-setup-cache');
    server = await startServer({
      entry: SERVER_ENTRY,
      dataDir,
      env: { STINT_WORKSPACE_POOL_SIZE: '1' },
      timeoutMs: 120_000,
    });
    const s = server;
    const prompt = scriptPrompt('First step', {
      plan: ['Run the tests'],
      steps: [{ run: "node -e \"require('dep-0'); require('dep-1')\" && echo deps-load" }],
    });
    const measure = async (source: string) => {
      const res = await api(s, 'POST', '/sessions', {
        prompt,
        sourceContext: {
          source: `sources/github/bench/${source}`,
          githubRepoContext: { startingBranch: 'main' },
        },
      });
      if (res.status !== 200) throw new Error(JSON.stringify(res.body));
      const id = res.body.id as string;
      const done = await waitUntil(
        async () => {
          const st = (await api(s, 'GET', `/sessions/${id}`)).body;
          return st.state === 'COMPLETED' || st.state === 'FAILED' ? st : undefined;
        },
        600_000,
        20,
      );
      const acts = (await api(s, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities as any[];
      if (done.state !== 'COMPLETED') throw new Error(`session failed: ${JSON.stringify(acts.at(-1))}`);
      if (source !== 'plain' && !JSON.stringify(acts).includes('deps-load'))
        throw new Error('the dependencies were not installed');
      const plan = acts.find((a) => a.planGenerated);
      const restored = acts.find((a) => a.progressUpdated?.title === 'Setup restored from the cache');
      const created = micros(res.body.createTime) / 1000;
      return {
        ms: micros(plan.createTime) / 1000 - created,
        // Session created → the setup's (restore) activity committed; the rest is the agent's start.
        setupAt: restored ? micros(restored.createTime) / 1000 - created : undefined,
        restoreMs: restored ? Number(/\) in (\d+) ms/.exec(restored.progressUpdated.description)?.[1]) : 0,
        via: restored ? (/renamed/.test(restored.progressUpdated.description) ? 'spare' : 'copy') : 'ran',
      };
    };
    // Mirrors exist and the cache is filled before measuring (the first setup is the cold one).
    await measure('plain');
    const first = await measure('setup');
    log(`setup-cache: first session with setup (fills the cache) ${round(first.ms)} ms`);
    const plain: number[] = [];
    const warm: number[] = [];
    const cold: number[] = [];
    const vias: string[] = [];
    const restores: number[] = [];
    const restoredAt: number[] = [];
    // Interleaved, so all kinds see the same machine load; back to back, no wait for background work.
    for (let i = 0; i < samples; i++) {
      plain.push((await measure('plain')).ms);
      const w = await measure('setup');
      warm.push(w.ms);
      vias.push(w.via);
      restores.push(w.restoreMs);
      if (w.setupAt !== undefined) restoredAt.push(w.setupAt);
      cold.push((await measure('cold')).ms);
    }
    const copyMs = await measureCopy(join(dataDir, 'workspaces', '.setup-cache'), root);
    const plainMs = percentile(plain, 50);
    const warmMs = percentile(warm, 50);
    const coldMs = percentile(cold, 50);
    log(
      `setup-cache: plain ${round(plainMs)} warm ${round(warmMs)} cold ${round(coldMs)} (${vias.join(',')})`,
    );
    return {
      title: `Setup cache: first step of a Node project with ${packages} dependencies`,
      figures: [
        {
          name: 'first step, setup restored from a warm cache (median)',
          value: round(warmMs),
          unit: 'ms',
          baselineName: 'the same session without setup',
          baseline: round(plainMs),
          ratio: round(warmMs / plainMs, 2),
          target: '≈ 1 (≤ 1.2): the same as without setup',
          met: warmMs / plainMs <= 1.2,
        },
        {
          name: 'first step, setup (`npm ci`) runs: cold setup (median)',
          value: round(coldMs),
          unit: 'ms',
          baselineName: 'the same session without setup',
          baseline: round(plainMs),
          ratio: round(coldMs / plainMs, 2),
        },
      ],
      notes: [
        `A generated project: ${packages} dependencies, each a \`file:\` tarball of ${perPackage} small files in the repository, installed with \`${NPM_CI}\` inside the bubblewrap sandbox (no network); ${packages * (perPackage + 1)} files in node_modules.`,
        `${samples} sessions of each kind, interleaved and back to back (each created when the previous one completed); first step = the planGenerated activity's createTime minus the session's createTime, both stamped by the server. The first step runs \`node -e "require('dep-0')"\`, which needs the installed dependencies.`,
        `How the warm sessions got node_modules: ${vias.join(', ')} (spare: a ready copy renamed into the checkout; copy: \`cp -a\` at restore because the background copy was not ready; ran: setup ran).`,
        `The restore itself (claiming a ready copy, renaming node_modules in), as the progress activity reports it: median ${round(percentile(restores, 50))} ms; session created → the "Setup restored" activity committed: median ${restoredAt.length ? round(percentile(restoredAt, 50)) : '—'} ms (checkout, secrets, key, restore, one commit), the rest of the warm first step is the agent's start as without setup. A finished session's setup outputs are moved out of its checkout (one rename) before it goes back to the pool, so the pool's reset does not delete them file by file while the next session waits.`,
        `Copying the cached node_modules (\`cp -a --reflink=auto\`, what a restore without a ready copy does; this ext4 has no reflinks) takes ${round(copyMs)} ms (median of 3), against one rename for a ready copy. Hard links would be cheaper still but are not used: sandboxed commands run as the server's user and could write through them into the cache.`,
        `The session that filled the cache (setup + copying node_modules into the cache) took ${round(first.ms)} ms to its first step.`,
      ],
    };
  } finally {
    await server?.stop();
    await server?.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

/** A bare repository: package.json + package-lock.json over `packages` vendored `file:` tarballs. */
export async function makeNodeProject(root: string, packages: number, perPackage: number): Promise<string> {
  const work = join(root, 'seed');
  const vendor = join(work, 'vendor');
  const stage = join(root, 'stage');
  mkdirSync(vendor, { recursive: true });
  const deps: Record<string, string> = {};
  for (let i = 0; i < packages; i++) {
    const name = `dep-${i}`;
    const pkg = join(stage, name, 'package');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', main: 'index.js', license: 'MIT' }),
    );
    const requires = [];
    for (let f = 0; f < perPackage - 1; f++) {
      writeFileSync(
        join(pkg, 'lib', `part${f}.js`),
        `'use strict';\n// ${name} part ${f}\nmodule.exports = function part${f}(x) {\n  return x * ${f + 1} + ${i};\n};\n`,
      );
      requires.push(`  part${f}: require('./lib/part${f}.js'),`);
    }
    writeFileSync(join(pkg, 'index.js'), `'use strict';\nmodule.exports = {\n${requires.join('\n')}\n};\n`);
    await run('tar', ['-czf', join(vendor, `${name}-1.0.0.tgz`), '-C', join(stage, name), 'package']);
    deps[name] = `file:vendor/${name}-1.0.0.tgz`;
  }
  rmSync(stage, { recursive: true, force: true });
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: deps }, null, 2),
  );
  writeFileSync(join(work, '.gitignore'), 'node_modules/\n');
  writeFileSync(join(work, 'index.js'), "require('dep-0');\n");
  // The lockfile, made once here (offline, like the setup that uses it).
  await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--package-lock-only', '--loglevel=error'],
    {
      cwd: work,
      env: { ...process.env, npm_config_cache: join(root, 'npm-cache') },
      maxBuffer: 16 << 20,
    },
  );
  await git(work, 'init', '-q');
  await git(work, 'add', '-A');
  await git(work, 'commit', '-qm', 'a Node project');
  const bare = join(root, 'remote.git');
  await git(root, 'clone', '-q', '--bare', '--', work, bare);
  return bare;
}

/** Median time to copy the cache's master node_modules, as a restore without a ready copy would. */
async function measureCopy(cacheRoot: string, root: string): Promise<number> {
  const { readdirSync } = await import('node:fs');
  const dirs = (p: string) => readdirSync(p).filter((n) => !n.startsWith('.'));
  let master: string | undefined;
  for (const t of dirs(cacheRoot))
    for (const so of dirs(join(cacheRoot, t)))
      for (const k of dirs(join(cacheRoot, t, so))) master ??= join(cacheRoot, t, so, k, 'master');
  if (!master) throw new Error('no cache entry to copy');
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dest = join(root, `copy-${i}`);
    const t0 = performance.now();
    await run('cp', ['-a', '--reflink=auto', '--', join(master, 'node_modules'), dest]);
    times.push(performance.now() - t0);
    rmSync(dest, { recursive: true, force: true });
  }
  return percentile(times, 50);
}

function micros(ts: string): number {
  const m = /^(.*)\.(\d{6})Z$/.exec(ts);
  if (!m) throw new Error(`unexpected timestamp ${ts}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number(m[2]);
}

if (import.meta.main) {
  const r = await benchSetupCache({ samples: Number(process.env.BENCH_SAMPLES ?? 5) });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
