// Puts back the modes git does not record before a checkout is reused: every directory gets a fresh
// checkout's mode, and every file whose mode a fresh checkout would not have is removed (the reset's
// read-tree writes it again). Git records only the executable bit of a file and nothing of a
// directory, and a file changed within the second its checkout wrote it can look unchanged to git's
// stat cache, so this cannot be left to git.
//
// The walk is one `find` process: it reads the whole tree (one lstat per entry, in C, on the other
// core) and prints only what is wrong, so the server's own work is what changed. A walk in Node
// cost ~100 ms of the server's CPU per 5,000 files (an lstat promise per file). Without `find`
// (ENOENT), the same walk runs in Node.
import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { runOnGitHelper } from './git-helpers.ts';

// The modes git gives the directories and files of a fresh checkout.
const UMASK = process.umask();
export const DIR_MODE = 0o777 & ~UMASK;
export const FILE_MODES = [0o666 & ~UMASK, 0o777 & ~UMASK];
// A directory locked at every level needs one round per level before `find` can enter it (as a
// non-root user); deeper than this, the reset's `git clean` fails and the checkout is not reused.
const MAX_ROUNDS = 32;
const MAX_OUTPUT = 256 * 1024 * 1024;
const FIND_TIMEOUT_MS = 600_000;

interface Wrong {
  // Buffers: paths exactly as the filesystem has them, whatever their encoding.
  dirs: Buffer[];
  files: Buffer[];
  /** `find` could not enter some directory (it is among `dirs` and is fixed this round). */
  incomplete: boolean;
}

/** Sets every directory under `root` (symlinks not followed) to DIR_MODE and removes files in other modes. */
export async function resetModes(root: string): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wrong = await findWrongModes(root);
    if (wrong === undefined) return nodeWalk(root);
    // find lists a directory before its contents: parents are opened first.
    for (const dir of wrong.dirs) await chmod(dir, DIR_MODE).catch(() => undefined);
    for (const file of wrong.files) await rm(file, { force: true });
    if (!wrong.incomplete || wrong.dirs.length === 0) return;
  }
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** What `find` lists as wrong under `root`; undefined when there is no `find` to run. */
async function findWrongModes(root: string): Promise<Wrong | undefined> {
  const args = [
    root,
    '(',
    '-type',
    'd',
    '!',
    '-perm',
    octal(DIR_MODE),
    '-printf',
    'd%p\\0',
    ')',
    '-o',
    '(',
    '-type',
    'f',
    ...FILE_MODES.flatMap((m) => ['!', '-perm', octal(m)]),
    '-printf',
    'f%p\\0',
    ')',
  ];
  // On a git thread, like git: spawning blocks the spawning thread until `find` has started.
  const outcome = await runOnGitHelper({
    program: 'find',
    args,
    opts: { maxBuffer: MAX_OUTPUT, timeoutMs: FIND_TIMEOUT_MS },
    env: { LC_ALL: 'C', PATH: process.env.PATH ?? '' },
  });
  // Exit 1: something could not be read (a locked directory); what was read is listed. Any other
  // failure (no `find`, one without -printf): the walk in Node decides instead.
  let stdout: Buffer;
  if (outcome.ok) stdout = outcome.stdout;
  else if (outcome.error.exitCode === 1 && outcome.partialStdout) stdout = outcome.partialStdout;
  else return undefined;
  const wrong: Wrong = { dirs: [], files: [], incomplete: !outcome.ok };
  let start = 0;
  for (let end = stdout.indexOf(0); end >= 0; start = end + 1, end = stdout.indexOf(0, start)) {
    const kind = stdout[start];
    const path = stdout.subarray(start + 1, end);
    if (kind === 0x64) wrong.dirs.push(path);
    else if (kind === 0x66) wrong.files.push(path);
  }
  return wrong;
}

// The same in Node, where `find` is missing (paths as bytes, like find's).
async function nodeWalk(dir: string | Buffer): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory()) return;
  if ((st.mode & 0o7777) !== DIR_MODE) await chmod(dir, DIR_MODE);
  const prefix = Buffer.concat([Buffer.from(dir), SLASH]);
  for (const e of await readdir(dir, { withFileTypes: true, encoding: 'buffer' })) {
    const path = Buffer.concat([prefix, e.name]);
    if (e.isDirectory()) await nodeWalk(path);
    else if (e.isFile()) {
      const f = await lstat(path).catch(() => undefined);
      if (f?.isFile() && !FILE_MODES.includes(f.mode & 0o7777)) await rm(path, { force: true });
    }
  }
}

const SLASH = Buffer.from('/');
