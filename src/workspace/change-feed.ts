// The change feed of a checkout: the paths that may differ from the session's base commit, kept in
// the server git dir (outside the checkout), so that a change set can look at those paths only
// instead of walking the whole tree (src/workspace/patch.ts).
//
// The feed is either known (the file exists) or unknown (it does not). It is known only while every
// change to the checkout went through something that appends to it:
// - the server made the checkout itself, exactly at the base (Workspaces.prepare starts it empty);
// - a full walk of the tree (the persistent change set) restarts it before walking and appends the
//   paths it found changed;
// - the agent's file tools append the path they write, before writing it (a crash mid-write leaves
//   it named) and again after (a walk that restarted the feed in between and read the file before
//   the write still hears of it).
// - a command in the sandbox, when the change watcher (src/workspace/watch/) could watch it: a mark
//   made before it starts keeps the feed unknown until, after it ended, the paths the watcher saw
//   it touch are appended and the mark removed (a crash mid-command leaves the mark).
// Anything else that may write in the checkout (a command the watcher could not follow, an
// external agent CLI, setup, a restored snapshot) drops the feed before it starts and again when
// it ends; the next change set then walks the tree and starts the feed again. Appends never create
// the file, so a write racing a drop leaves the feed unknown, never known and incomplete.
//
// Directories the watcher saw appear or change mode are appended too, as ["dir", path] lines: a
// reset from the feed (src/workspace/feed-reset.ts) puts back their modes or removes them.
//
// What a change set learnt of whether the base has a path is appended as ["base", path, true or
// false] lines: a fact about the base commit, true for as long as the feed (which is for one base)
// lasts, which spares the reset from asking git (`ls-tree`) for those paths.
//
// Paths whose change can alter what git sees elsewhere (.gitignore, .gitattributes, .gitmodules,
// anything under a .git directory) drop the feed instead of being appended.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { COMMIT_ID } from '../domain/commit-id.ts';
import { readFile, rename, rm, stat, writeFile } from './small-fs.ts';

const FEED_FILE = 'stint-change-feed';
// Present while a command may be writing: the feed is unknown.
const RUNNING_MARK = 'stint-change-feed-running';
/** The scratch index of change sets from the feed (src/workspace/server-change-set.ts), and its list of seeded paths: they go with the feed. */
export const FEED_INDEX = 'stint-feed-index';
export const FEED_SEEDED = 'stint-feed-index-paths';
const HEADER = 'stint change feed v1';
/** More distinct paths than this (or more bytes of them): the walk is as cheap, and argv stays small. */
export const MAX_FEED_PATHS = 2000;
const MAX_FEED_BYTES = 256 * 1024;
const WALKING = 'walking';
const WALKED = 'walked';
const DIR_LINE = 'dir';
const BASE_LINE = 'base';
const SPECIAL_NAMES = new Set(['.gitignore', '.gitattributes', '.gitmodules']);

/**
 * Starts the feed with no paths. `at-base`: the checkout is exactly at `base`, the feed is known.
 * `walking`: a walk of the tree is about to start; the feed becomes known only when noteWalk
 * completes it (a process dying mid-walk leaves it unknown).
 */
export async function startFeed(gitDir: string, base: string, state: 'at-base' | 'walking'): Promise<void> {
  if (!COMMIT_ID.test(base)) throw new Error(`invalid commit id ${base}`);
  await dropScratch(gitDir);
  // Nothing runs in a checkout just made (or found after a restart): no command mark can hold.
  if (state === 'at-base') await rm(join(gitDir, RUNNING_MARK), { force: true });
  const file = join(gitDir, FEED_FILE);
  await writeFile(`${file}.tmp`, `${HEADER} ${base}${state === 'walking' ? ` ${WALKING}` : ''}\n`);
  await rename(`${file}.tmp`, file);
}

/** Completes a feed started `walking` with the paths the walk found changed. */
export async function noteWalk(gitDir: string, paths: readonly string[]): Promise<void> {
  if (paths.some((p) => !wellFormed(p))) {
    await dropFeed(gitDir);
    return;
  }
  await append(gitDir, [...paths.map((p) => JSON.stringify(p)), WALKED]);
}

/** The feed becomes unknown: the next change set walks the whole tree. */
export async function dropFeed(gitDir: string): Promise<void> {
  await rm(join(gitDir, FEED_FILE), { force: true });
  await dropScratch(gitDir);
}

/** Drops the feed and any command mark: nothing runs in the checkout (a reset, a restart). */
export async function forgetFeed(gitDir: string): Promise<void> {
  await dropFeed(gitDir);
  await rm(join(gitDir, RUNNING_MARK), { force: true });
}

/** A command is about to run, watched: the feed is unknown until commandEnded. */
export async function commandStarts(gitDir: string): Promise<void> {
  await writeFile(join(gitDir, RUNNING_MARK), '');
}

/**
 * A watched command ended: what it touched (undefined: not known) goes in the feed (or drops it),
 * and the feed is known again.
 */
export async function commandEnded(
  gitDir: string,
  touched: { paths: readonly string[]; dirs: readonly string[] } | undefined,
): Promise<void> {
  if (touched === undefined || touched.dirs.some((d) => !wellFormed(d) || special(d))) await dropFeed(gitDir);
  else {
    await noteChanges(gitDir, touched.paths);
    await append(
      gitDir,
      touched.dirs.map((d) => JSON.stringify([DIR_LINE, d])),
    );
  }
  await rm(join(gitDir, RUNNING_MARK), { force: true });
}

/**
 * Records whether the base has each of these paths (`inBase`), as a diff against it showed; paths
 * git may not name whole (not well formed) are left out.
 */
export async function noteBaseHas(gitDir: string, facts: ReadonlyMap<string, boolean>): Promise<void> {
  await append(
    gitDir,
    [...facts].filter(([p]) => wellFormed(p)).map(([p, inBase]) => JSON.stringify([BASE_LINE, p, inBase])),
  );
}

async function dropScratch(gitDir: string): Promise<void> {
  await rm(join(gitDir, FEED_SEEDED), { force: true });
  await rm(join(gitDir, FEED_INDEX), { force: true });
}

/**
 * Records that `paths` (relative to the checkout, as git names them) may change, before they do.
 * A missing feed stays missing; a path git treats specially drops it.
 */
export async function noteChanges(gitDir: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  if (paths.some((p) => !wellFormed(p) || special(p))) {
    await dropFeed(gitDir);
    return;
  }
  await append(
    gitDir,
    paths.map((p) => JSON.stringify(p)),
  );
}

// At once, as the rest of this file's calls are (./small-fs.ts).
async function append(gitDir: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  let fd: number;
  try {
    // O_APPEND without O_CREAT: appends of a few hundred bytes land whole, and never revive a feed.
    fd = openSync(join(gitDir, FEED_FILE), constants.O_WRONLY | constants.O_APPEND);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    writeSync(fd, lines.map((l) => `${l}\n`).join(''));
  } finally {
    closeSync(fd);
  }
}

/**
 * The paths that may differ from `base`, or undefined when the feed is unknown (missing, for
 * another base, unreadable, or too large to be worth it).
 */
export async function readFeed(gitDir: string, base: string): Promise<string[] | undefined> {
  return (await readFeedEntries(gitDir, base))?.paths;
}

export interface FeedEntries {
  paths: string[];
  /** Directories the change watcher saw appear or change mode. */
  dirs: string[];
  /**
   * Every change to the checkout since it was exactly at the base is named, ignored files and
   * modes git does not record included: the feed was started at the base, not by a walk (which
   * names only what git sees differ). A reset may then look at the named paths only.
   */
  complete: boolean;
  /** Paths the feed knows the base to have (true) or not (false); not changes themselves. */
  inBase: Map<string, boolean>;
}

/** The feed's paths and, apart, the directories it names; undefined when unknown. */
export async function readFeedEntries(gitDir: string, base: string): Promise<FeedEntries | undefined> {
  const [text, running] = await Promise.all([
    readFile(join(gitDir, FEED_FILE), 'utf8').catch(() => undefined),
    stat(join(gitDir, RUNNING_MARK)).then(
      () => true,
      () => false,
    ),
  ]);
  if (text === undefined || running || text.length > MAX_FEED_BYTES) return undefined;
  const lines = text.split('\n');
  let walked: boolean;
  if (lines[0] === `${HEADER} ${base}`) walked = true;
  else if (lines[0] === `${HEADER} ${base} ${WALKING}`) walked = false;
  else return undefined;
  const paths = new Set<string>();
  const dirs = new Set<string>();
  const inBase = new Map<string, boolean>();
  // The last line is empty, or a torn append (the process died mid-write): unknown then.
  if (lines[lines.length - 1] !== '') return undefined;
  for (const line of lines.slice(1, -1)) {
    if (line === WALKED) {
      walked = true;
      continue;
    }
    let path: unknown;
    try {
      path = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (Array.isArray(path) && path.length === 2 && path[0] === DIR_LINE && typeof path[1] === 'string') {
      if (!wellFormed(path[1])) return undefined;
      dirs.add(path[1]);
      continue;
    }
    if (
      Array.isArray(path) &&
      path.length === 3 &&
      path[0] === BASE_LINE &&
      typeof path[1] === 'string' &&
      typeof path[2] === 'boolean'
    ) {
      if (!wellFormed(path[1])) return undefined;
      inBase.set(path[1], path[2]);
      continue;
    }
    if (typeof path !== 'string' || !wellFormed(path)) return undefined;
    paths.add(path);
  }
  if (!walked || paths.size + dirs.size > MAX_FEED_PATHS) return undefined;
  return { paths: [...paths], dirs: [...dirs], complete: lines[0] === `${HEADER} ${base}`, inBase };
}

// A clean relative path git can name literally.
function wellFormed(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\0') || path.includes('\n')) return false;
  // Lone surrogates or U+FFFD: a name that did not come whole from (or will not go whole to) disk.
  if (!path.isWellFormed() || path.includes('\uFFFD')) return false;
  return path.split('/').every((p) => p !== '' && p !== '.' && p !== '..' && p !== '.git');
}

// A path whose change alters what git makes of other paths.
function special(path: string): boolean {
  return path.split('/').some((p) => SPECIAL_NAMES.has(p));
}
