// The server's own git dir for a checkout, kept OUTSIDE the checkout (an agent can write anything
// inside it, its .git included): the objects of the commits the checkout was set to (fetched from
// the mirror at depth 1), an index whose stat cache makes resets and change sets cost what changed,
// and a config written by `git init` and nothing else. Every git command the server runs on a
// checkout goes through this dir, so nothing an agent put in the checkout's .git (core.fsmonitor,
// hooks, filter or diff drivers, info/attributes, alternates, a forged base) ever runs or counts.
//
// The checkout's own .git belongs to the agent: it is rebuilt from here (plain file copies, no git
// process) whenever the checkout is set to a commit, so nothing a previous session did to it stays.
import { copyFile, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMMIT_ID, objectFormatOf } from '../domain/commit-id.ts';
import { forgetFeed } from './change-feed.ts';
import { RESET_CONFIG, resetFromFeed } from './feed-reset.ts';
import { forgetAgentFsmonitor, HOOK_CONFIG, installAgentHook } from './fsmonitor/agent-hook.ts';
import { prehashIndex } from './fsmonitor/index-prehash.ts';
import { type GitOptions, runGit } from './git.ts';
import type { Mirror } from './mirror/mirror.ts';
import { resetModes } from './mode-reset.ts';
import { removeTree } from './remove-tree.ts';
import { mkdir, readdir, readFile, rename, stat, utimes, writeFile } from './small-fs.ts';
import { changeWatch, fsmonitorHooked } from './watch/change-watch.ts';

export interface ServerGitRun {
  timeoutMs: number;
  /** Background work (the warm pool): git at a low CPU priority. */
  background: boolean;
}

const BASE_FILE = 'stint-base';
/** The commit whose checkout had its index's stat data refreshed (see settleIndex). */
const SETTLED_FILE = 'stint-index-settled';
/** Suffix of the checkout's .git while it is being made, beside the server git dir. */
export const AGENT_GIT_TMP = '.agent-git.tmp';
/** The per-session change-set index in a server git dir (removed by every reset). */
export const SESSION_INDEX = 'stint-session-index';
// More packs than this (one per commit fetched): start the objects over at the next reset.
const MAX_PACKS = 4;

/** Where the server git dir of the checkout at `checkoutDir` lives: beside it, outside it. */
export function serverGitDirFor(checkoutDir: string): string {
  return join(dirname(checkoutDir), '.git-dirs', basename(checkoutDir));
}

/** Runs git with `gitDir` as git dir and `workTree` as work tree (the checkout's .git is ignored). */
export function serverGit(gitDir: string, workTree: string, args: readonly string[], opts: GitOptions = {}) {
  return runGit(['--git-dir', gitDir, '--work-tree', workTree, ...args], { ...opts, cwd: workTree });
}

/** A new, empty server git dir (bare: only the server's own config). */
export async function createServerGit(gitDir: string, format: 'sha1' | 'sha256', run: ServerGitRun) {
  await runGit(['init', '--quiet', '--bare', '--template=', `--object-format=${format}`, '--', gitDir], run);
}

/** Makes sure the server git dir has `commitId` (fetched from the mirror at depth 1). */
export async function ensureCommit(gitDir: string, mirror: Mirror, commitId: string, run: ServerGitRun) {
  const git = (args: string[]) => runGit(['--git-dir', gitDir, ...args], { ...run, cwd: gitDir });
  // Fetched before at depth 1: the commit is one of the shallow boundary's (no git process needed;
  // were its objects damaged, the reset's read-tree fails and the checkout is not used).
  const shallow = await readFile(join(gitDir, 'shallow'), 'utf8').catch(() => '');
  if (shallow.split('\n').includes(commitId)) return;
  const has = await git(['cat-file', '-e', `${commitId}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (has) return;
  // unpackLimit=1: always a pack, which the agent's .git receives as a copy.
  await git([
    '-c',
    'fetch.unpackLimit=1',
    '-c',
    'transfer.unpackLimit=1',
    'fetch',
    '--quiet',
    '--depth',
    '1',
    '--no-tags',
    '--no-write-fetch-head',
    '--',
    mirror.dir,
    commitId,
  ]);
}

/**
 * Makes the index's stat data trusted, once per checkout and commit. Git compares modification
 * times in whole seconds, so an entry whose file is not older than the index file itself is
 * "racily clean": every later `git status` reads and hashes that file again (and the agent's .git
 * gets a copy of this index with its time kept). A new checkout writes its files and its index
 * within the same second or two, so most entries start racy and every session of that checkout
 * would hash most of the repository in its first `git status` (measured: 54 against 31 ms for
 * 5,000 small files). Once the index is older than the current second, one refresh (a stat of
 * every file, a hash of the racy ones) rewrites it with every entry older than it; the resets to
 * the same commit after that write only what the sessions changed, so few entries become racy
 * again. A checkout moved to another commit (its branch moved on) may have had many files
 * rewritten: it is settled again. Does nothing while the index is still from this second (the
 * next reset settles it) or once settled for `commitId`. The pool's new checkouts are settled
 * without the refresh (settleUntouchedIndex).
 */
export async function settleIndex(
  gitDir: string,
  workTree: string,
  commitId: string,
  run: ServerGitRun,
): Promise<void> {
  const marker = join(gitDir, SETTLED_FILE);
  if ((await readFile(marker, 'utf8').catch(() => undefined))?.trim() === commitId) return;
  const index = await stat(join(gitDir, 'index')).catch(() => undefined);
  if (index === undefined || Math.floor(index.mtimeMs / 1000) >= Math.floor(Date.now() / 1000)) return;
  // Exit 1 means entries differ from their files: impossible right after a reset, and harmless
  // (the refresh still wrote what it could).
  await serverGit(gitDir, workTree, [...RESET_CONFIG, 'update-index', '-q', '--refresh'], run).catch(
    () => undefined,
  );
  await writeFile(marker, `${commitId}\n`);
}

/**
 * Settles a checkout that git has just written whole (a new checkout) and nothing has touched
 * since, without reading a file again: once the clock is past the second in which the index was
 * written (it is written after every file), the index file's time is set to now. Every entry is
 * then older than the index, which is exactly true, because no file changed after git recorded
 * its stat data (the checkout is not out with a session yet). A change made later changes its
 * file's time to a second after the entry's, so git sees it. The refresh settleIndex would run
 * instead reads and hashes every file (5,000 small files: ~170 ms of CPU; 50,000: seconds).
 */
export async function settleUntouchedIndex(gitDir: string, commitId: string): Promise<void> {
  const index = join(gitDir, 'index');
  const written = Math.floor((await stat(index)).mtimeMs / 1000);
  const waitMs = (written + 1) * 1000 - Date.now();
  if (waitMs >= 0) await sleep(waitMs + 5);
  const now = new Date();
  await utimes(index, now, now);
  await writeFile(join(gitDir, SETTLED_FILE), `${commitId}\n`);
}

/** Whether the server git dir's objects have grown past what a reset should copy. */
export async function tooManyPacks(gitDir: string): Promise<boolean> {
  const names = await readdir(join(gitDir, 'objects', 'pack')).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.pack')).length > MAX_PACKS;
}

/**
 * Sets the work tree to exactly `commitId`: from the change feed when it names everything the
 * previous session changed (src/workspace/feed-reset.ts); otherwise removes whatever is not in the
 * server's index (untracked and ignored files, the agent's .git), then a one-way merge with the
 * index rewrites only the files whose stat data differ from the index (ctime is trusted, so a file
 * changed with its mtime and size put back is rewritten too) and deletes the paths the commit does
 * not have. Says which way it went.
 */
export async function resetWorkTree(
  gitDir: string,
  workTree: string,
  commitId: string,
  run: ServerGitRun,
): Promise<'feed' | 'full'> {
  if (!COMMIT_ID.test(commitId)) throw new Error(`invalid commit id ${commitId}`);
  await removeTree(join(workTree, '.git'));
  // The previous session's change-set index (src/workspace/server-change-set.ts): the next one
  // starts anew.
  await removeTree(join(gitDir, SESSION_INDEX));
  // And the ignore rules a walk copied from the previous agent's .git (prepareInfo there).
  await removeTree(join(gitDir, 'info', 'exclude'));
  const hasIndex = await stat(join(gitDir, 'index')).then(
    (st) => st.isFile(),
    () => false,
  );
  // What the previous session changed, when its change feed knows (the same commit again).
  if (hasIndex && (await resetFromFeed(gitDir, workTree, commitId, run).catch(() => false))) return 'feed';
  await forgetFeed(gitDir);
  // The whole tree may be rewritten: its watches go first (src/workspace/watch/), or their events
  // could fill the watcher's queue and cost every other checkout its journal.
  await changeWatch().forget(workTree);
  // Git records no directory modes: put back those the previous agent changed (a directory it
  // locked would also stop clean and the checkout from entering it).
  await resetModes(workTree);
  if (hasIndex) await serverGit(gitDir, workTree, [...RESET_CONFIG, 'clean', '-ffdxq'], run);
  // Git's parallel checkout (checkout.workers 0: one worker per core; git itself stays sequential
  // below 100 files to write) on a disk: a new checkout of 50,000 files here took 25-35 s of CPU
  // (almost all kernel) in one process, 8-14 s across the workers, 5-8 s instead of 25-36 s of wall
  // time; 5,000 files as much CPU or less, half the wall time. In memory (tmpfs) the workers only
  // add their own cost: 5,000 files 0.23 s of CPU against 0.11 in one process, 50,000 2.4 against
  // 1.3, and no faster.
  const workers = (await inMemory(workTree)) ? 1 : 0;
  await serverGit(
    gitDir,
    workTree,
    [...RESET_CONFIG, '-c', `checkout.workers=${workers}`, 'read-tree', '--reset', '-u', commitId],
    run,
  );
  return 'full';
}

const TMPFS_MAGIC = 0x01021994;

// Whether `dir` is on a tmpfs (statfs, Linux).
async function inMemory(dir: string): Promise<boolean> {
  return statfs(dir).then(
    (st) => st.type === TMPFS_MAGIC,
    () => false,
  );
}

export interface AgentGitDirOptions {
  branch: string;
  commitId: string;
  /** Shown as `origin` (never carries credentials). */
  originUrl?: string;
  /** Sets up the fsmonitor hook (src/workspace/fsmonitor/agent-hook.ts); by default when a watcher can answer it. */
  fsmonitor?: boolean;
}

/**
 * Writes the checkout's .git for the agent (the previous one must be gone): a copy of the server's
 * packs and index, HEAD on `branch` at `commitId`, and a config of Stint's own making.
 */
export async function writeAgentGitDir(gitDir: string, workTree: string, opts: AgentGitDirOptions) {
  const { branch, commitId } = opts;
  const dot = join(workTree, '.git');
  // Made beside the server git dir (same filesystem, outside the checkout) and renamed in whole: an
  // agent never sees a half-made one, and the checkout's change watcher sees one rename.
  const tmp = `${gitDir}${AGENT_GIT_TMP}`;
  await removeTree(tmp);
  const packDir = join(tmp, 'objects', 'pack');
  await mkdir(packDir, { recursive: true });
  // Only what git needs to see a repository (HEAD, objects/, refs/): it makes refs/heads, refs/tags
  // and objects/info when it writes there. A new directory costs ~0.5 ms of CPU on the reference
  // VM's disk, for every session (bench/notes.md, Round 11).
  await mkdir(join(tmp, 'refs'));
  const srcPacks = join(gitDir, 'objects', 'pack');
  for (const name of await readdir(srcPacks)) {
    if (/^pack-[0-9a-f]+\.(?:pack|idx)$/.test(name))
      await copyFile(join(srcPacks, name), join(packDir, name));
  }
  await copyFile(join(gitDir, 'shallow'), join(tmp, 'shallow')).catch(() => undefined);
  // The index is a plain copy: it is armed (the hook's token, the untracked cache) when a session
  // gets the checkout (armAgentIndex, src/workspace/fsmonitor/agent-hook.ts).
  await forgetAgentFsmonitor(gitDir);
  const hooked = opts.fsmonitor ?? fsmonitorHooked();
  if (hooked) await installAgentHook(tmp);
  await copyIndex(join(gitDir, 'index'), join(tmp, 'index'));
  // Hashed now (often in the background): arming it then writes only its new end.
  if (hooked) await prehashIndex(join(tmp, 'index'), objectFormatOf(commitId));
  await writeFile(join(tmp, 'HEAD'), `ref: refs/heads/${branch}\n`);
  const refs = [`${commitId} refs/heads/${branch}`];
  if (opts.originUrl !== undefined) refs.push(`${commitId} refs/remotes/origin/${branch}`);
  await writeFile(
    join(tmp, 'packed-refs'),
    `# pack-refs with: peeled fully-peeled sorted \n${refs.join('\n')}\n`,
  );
  await writeFile(join(tmp, 'config'), agentConfig(commitId.length === 64, branch, opts.originUrl, hooked));
  await rename(tmp, dot);
}

function agentConfig(
  sha256: boolean,
  branch: string,
  originUrl: string | undefined,
  hooked: boolean,
): string {
  const lines = [
    '[core]',
    `\trepositoryformatversion = ${sha256 ? 1 : 0}`,
    '\tfilemode = true',
    '\tbare = false',
    '\tlogallrefupdates = true',
  ];
  if (hooked) lines.push(...HOOK_CONFIG);
  if (sha256) lines.push('[extensions]', '\tobjectformat = sha256');
  if (originUrl !== undefined) {
    lines.push(
      '[remote "origin"]',
      `\turl = ${quote(originUrl)}`,
      '\tfetch = +refs/heads/*:refs/remotes/origin/*',
      `[branch ${quote(branch)}]`,
      '\tremote = origin',
      `\tmerge = ${quote(`refs/heads/${branch}`)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// A git config value in double quotes (backslash and quote escaped; newlines are not allowed).
function quote(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error('config values cannot contain line breaks');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Copies an index file keeping its modification time (rounded down to the second). Git trusts an
 * entry whose stat data match the file only if the file is older than the index (racy-git check),
 * and compares whole seconds (Debian's git has no USE_NSEC): a copy stamped "now" would make a
 * file changed in the same second as its checkout, to the same size, look unchanged.
 */
export async function copyIndex(from: string, to: string): Promise<void> {
  const st = await stat(from);
  await copyFile(from, to);
  const seconds = Math.floor(st.mtimeMs / 1000);
  await utimes(to, seconds, seconds);
}

/** The base commit recorded for the session using this server git dir, or undefined. */
export async function readServerBase(gitDir: string): Promise<string | undefined> {
  const text = await readFile(join(gitDir, BASE_FILE), 'utf8').catch(() => undefined);
  const id = text?.trim();
  return id !== undefined && COMMIT_ID.test(id) ? id : undefined;
}

/** Records (atomically) that the checkout is complete for a session based on `commitId`. */
export async function writeServerBase(gitDir: string, commitId: string): Promise<void> {
  const file = join(gitDir, BASE_FILE);
  await writeFile(`${file}.tmp`, `${commitId}\n`);
  await rename(`${file}.tmp`, file);
}

/** Forgets the session's base (the checkout changes hands). */
export async function clearServerBase(gitDir: string): Promise<void> {
  await removeTree(join(gitDir, BASE_FILE));
}
