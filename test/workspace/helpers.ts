// Fixtures for workspace tests: temp dirs and a bare "remote" repository built with real git.
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { feedsCommands } from '../../src/runner/feed-sandbox.ts';
import { runGit } from '../../src/workspace/git.ts';
import { removeTree } from '../../src/workspace/remove-tree.ts';
import { type ChangeWatch, NO_WATCH } from '../../src/workspace/watch/change-watch.ts';

export async function makeTempDir(
  prefix = 'stint-ws-test-',
): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => removeTree(path) };
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await runGit(args, { cwd })).stdout.trim();
}

export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = join(root, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

export const BINARY_V1 = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x03, 0xff, 0x00, 0x10, 0x20,
]);
export const LATIN1_V1 = Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\nna\xefve\n', 'latin1');
const LINES = Array.from({ length: 30 }, (_, i) => `line ${i + 1} of a file that will be renamed`).join('\n');

export interface Remote {
  /** Path of the bare repository (usable as a clone URL). */
  url: string;
  mainCommit: string;
  featureCommit: string;
}

/** A bare repo with branches `main` (HEAD) and `feature` (one commit ahead of main). */
export async function createRemote(root: string): Promise<Remote> {
  const url = join(root, 'remote.git');
  const work = join(root, 'seed');
  await runGit(['init', '--quiet', '--bare', '--', url]);
  await runGit(['init', '--quiet', '--', work]);
  await writeFiles(work, {
    'README.md': '# Demo\n\nHello.\n',
    '.gitignore': '*.log\nbuild/\n',
    'src/app.js': 'export const answer = 42;\n',
    'image.bin': BINARY_V1,
    'old-name.txt': `${LINES}\n`,
    'doomed.txt': 'this file will be deleted\n',
    'with space.txt': 'spaced out\n',
    'latin1.txt': LATIN1_V1,
    'script.sh': '#!/bin/sh\necho hi\n',
  });
  await git(work, 'add', '-A');
  await git(work, 'commit', '--quiet', '-m', 'Initial');
  const mainCommit = await git(work, 'rev-parse', 'HEAD');
  await git(work, 'push', '--quiet', '--', url, 'HEAD:refs/heads/main');
  await writeFiles(work, { 'FEATURE.md': 'feature branch only\n' });
  await git(work, 'add', '-A');
  await git(work, 'commit', '--quiet', '-m', 'Feature');
  const featureCommit = await git(work, 'rev-parse', 'HEAD');
  await git(work, 'push', '--quiet', '--', url, 'HEAD:refs/heads/feature');
  await git(url, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  return { url, mainCommit, featureCommit };
}

/** Tree id of everything in `dir`'s working tree (uses, and changes, that repo's index). */
export async function worktreeTree(dir: string): Promise<string> {
  await git(dir, 'add', '-A');
  return git(dir, 'write-tree');
}

/** Every path under `dir` (`.git` excluded) with its type, mode and content or link target. */
export async function listing(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, rel))).sort()) {
    if (rel === '' && name === '.git') continue;
    const path = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(join(dir, path));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${path} link ${await readlink(join(dir, path))}`);
    else if (st.isDirectory()) {
      out.push(`${path}/ ${mode}`);
      out.push(...(await listing(dir, path)));
    } else out.push(`${path} ${mode} ${(await readFile(join(dir, path))).toString('base64')}`);
  }
  return out;
}

/**
 * Runs `fn` as a command in the sandbox would run (through the runner's wrapper that keeps the
 * change feed right): watched by `watch`, or, by default, by nothing (the feed is dropped).
 */
export async function asCommand(
  dir: string,
  fn: () => Promise<void>,
  watch: ChangeWatch = NO_WATCH,
): Promise<void> {
  const sandbox = feedsCommands(
    {
      kind: 'plain',
      run: async () => {
        await fn();
        return { exitCode: 0, output: '', timedOut: false, aborted: false, durationMs: 0 };
      },
    },
    dir,
    watch,
  );
  await sandbox.run({ command: 'test', cwd: dir, timeoutMs: 60_000, maxOutputBytes: 1 });
}
