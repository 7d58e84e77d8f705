// Git's untracked cache ("UNTR" index extension) in the agent's index, so that `git status` in the
// sandbox does not read every directory of the checkout to find untracked files. With the fsmonitor
// hook (agent-hook.ts) git trusts a directory the cache marks valid unless the hook names a path in
// it; without it, every directory is read as before.
//
// What the cache says about a clean checkout of a commit (no untracked file anywhere, the .gitignore
// files of that commit) is the same for every checkout of that commit: git computes it once per
// commit, in a clean checkout through the server git dir (a scratch copy of its index), and each
// session's agent index receives a copy (agent-hook.ts, armAgentIndex) with:
// - the location ident git checks first (the checkout's real path, as git in the sandbox sees it;
//   bubblewrap binds the checkout at that same path). Another path: git (core.untrackedCache=true
//   in the agent's config) silently starts a new cache, as it would without this one;
// - every directory's stat data zeroed, so that whenever git checks a directory against it (the hook
//   failed or is off) the directory is read again: the copy is never trusted on stat data from
//   another checkout or another time.
// The computation uses no exclude file but the tree's .gitignore files (the server git dir has no
// info/exclude after a reset, core.excludesFile names no file), which is what the agent's new .git
// and the sandbox's empty home have; anything else there changes the hashes the cache records, and
// git then reads every directory again.
import { copyFile, readFile } from 'node:fs/promises';
import { type as osType } from 'node:os';
import { join } from 'node:path';
import { hashBytes, objectFormatOf } from '../../domain/commit-id.ts';
import { runGit } from '../git.ts';
import type { ServerGitRun } from '../server-git.ts';
import { realpath, rm } from '../small-fs.ts';
import { indexExtensions } from './index-extension.ts';

const UNTR = 'UNTR';
/** A scratch copy of the server's index, for the computation (removed after it). */
const SCRATCH_INDEX = 'stint-untracked-index';
/** Never created: core.excludesFile for the computation. */
const NO_EXCLUDES = 'stint-no-excludes';
// On-disk stat data in the extension: ctime and mtime (seconds, nanoseconds), dev, ino, uid, gid, size.
const STAT_BYTES = 36;
// The header after the ident: the stat data of info/exclude and of core.excludesFile, the flags.
const HEADER_BYTES = 2 * STAT_BYTES + 4;
// Commits whose cache is kept (each a few bytes per directory of the tree).
const MAX_COMMITS = 32;

const byCommit = new Map<string, Promise<Buffer | undefined>>();

/**
 * The untracked cache extension for the agent's index of the checkout at `workTree` (clean at
 * `commitId`, its server git dir `gitDir`): that commit's, made for this location. Undefined when
 * there is none (its computation failed, or a clean checkout of it is not free of untracked files).
 */
export async function untrackedExtensionFor(
  gitDir: string,
  workTree: string,
  commitId: string,
  run: ServerGitRun,
): Promise<Buffer | undefined> {
  const portable = await cleanTreeCache(gitDir, workTree, commitId, run);
  return portable === undefined ? undefined : untrackedExtension(portable, await realpath(workTree));
}

// The cache of a clean checkout of `commitId`, made portable (computed once per commit).
function cleanTreeCache(
  gitDir: string,
  workTree: string,
  commitId: string,
  run: ServerGitRun,
): Promise<Buffer | undefined> {
  let cached = byCommit.get(commitId);
  if (cached === undefined) {
    cached = computeCache(gitDir, workTree, commitId, run);
    byCommit.set(commitId, cached);
    // A failure (a timeout on a busy machine) is not remembered: the next session tries again.
    cached.catch(() => byCommit.delete(commitId));
    if (byCommit.size > MAX_COMMITS) byCommit.delete(byCommit.keys().next().value!);
  }
  return cached.catch(() => undefined);
}

async function computeCache(
  gitDir: string,
  workTree: string,
  commitId: string,
  run: ServerGitRun,
): Promise<Buffer | undefined> {
  const scratch = join(gitDir, SCRATCH_INDEX);
  await copyFile(join(gitDir, 'index'), scratch);
  try {
    const { stdout } = await runGit(
      [
        '--git-dir',
        gitDir,
        '--work-tree',
        workTree,
        '-c',
        'core.untrackedCache=true',
        '-c',
        `core.excludesFile=${join(gitDir, NO_EXCLUDES)}`,
        'status',
        '--porcelain=v1',
        '-z',
        '--untracked-files=normal',
        '--ignore-submodules=all',
        '--no-renames',
      ],
      { ...run, cwd: workTree, env: { GIT_INDEX_FILE: scratch } },
    );
    // Not clean after all (an untracked file): this cache would hold it; none for this commit.
    if (stdout.split('\0').some((line) => line.startsWith('?? '))) return undefined;
    const hash = objectFormatOf(commitId);
    const ext = indexExtensions(await readFile(scratch), hash)?.extensions.find((e) => e.signature === UNTR);
    return ext === undefined ? undefined : portableUntracked(ext.data, hashBytes(hash));
  } finally {
    await rm(scratch, { force: true });
  }
}

/** The extension (header included) for a checkout at `realWorkTree`, from portableUntracked's data. */
export function untrackedExtension(portable: Buffer, realWorkTree: string): Buffer {
  // Git's ident (dir.c): "Location <work tree>, system <kernel name>", NUL included.
  const ident = Buffer.from(`Location ${realWorkTree}, system ${osType()}\0`, 'utf8');
  const length = encodeVarint(ident.length);
  const header = Buffer.alloc(8);
  header.write(UNTR, 0, 'latin1');
  header.writeUInt32BE(length.length + ident.length + portable.length, 4);
  return Buffer.concat([header, length, ident, portable]);
}

/**
 * The extension's data after its ident, every directory's stat data zeroed; undefined when it does
 * not parse as git 2.x writes it (gitformat-index: the header, the directory blocks in depth-first
 * order, three EWAH bitmaps, the stat data of each valid directory, the hash of each directory's
 * exclude file, a NUL).
 */
export function portableUntracked(data: Buffer, hashLen: number): Buffer | undefined {
  try {
    const [identLen, afterLen] = readVarint(data, 0);
    const body = afterLen + identLen;
    let at = body + HEADER_BYTES + 2 * hashLen;
    at = nulAfter(data, at); // the per-directory exclude file's name
    const [blocks, afterCount] = readVarint(data, at);
    if (blocks === 0) return undefined;
    at = afterCount;
    for (let i = 0; i < blocks; i++) {
      const [untracked, a1] = readVarint(data, at);
      const [, a2] = readVarint(data, a1);
      at = nulAfter(data, a2); // the directory's name
      for (let j = 0; j < untracked; j++) at = nulAfter(data, at);
    }
    const valid = ewah(data, at);
    const checkOnly = ewah(data, valid.end);
    const hashed = ewah(data, checkOnly.end);
    const stats = hashed.end;
    const end = stats + valid.ones * STAT_BYTES + hashed.ones * hashLen;
    if (end + 1 !== data.length || data[end] !== 0) return undefined;
    const out = Buffer.from(data.subarray(body));
    out.fill(0, stats - body, stats - body + valid.ones * STAT_BYTES);
    return out;
  } catch {
    return undefined;
  }
}

// An EWAH bitmap as git serializes it (ewah/ewah_io.c): bit count, word count, the 64-bit words
// (big-endian), the position of the last run-length word. Where it ends and how many bits are set.
function ewah(data: Buffer, at: number): { end: number; ones: number } {
  const words = data.readUInt32BE(at + 4);
  const first = at + 8;
  const end = first + words * 8 + 4;
  if (end > data.length) throw new RangeError('EWAH bitmap past the end');
  let ones = 0;
  let i = 0;
  while (i < words) {
    const hi = data.readUInt32BE(first + i * 8);
    const lo = data.readUInt32BE(first + i * 8 + 4);
    // A run-length word: bit 0 the run's bit, bits 1-32 its length in words, 33-63 literal words after it.
    const runLength = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    const literals = hi >>> 1;
    if (lo & 1) ones += runLength * 64;
    for (let k = 1; k <= literals; k++) {
      if (i + k >= words) throw new RangeError('EWAH literal words past the end');
      ones +=
        popcount(data.readUInt32BE(first + (i + k) * 8)) +
        popcount(data.readUInt32BE(first + (i + k) * 8 + 4));
    }
    i += 1 + literals;
  }
  return { end, ones };
}

function popcount(n: number): number {
  let v = n - ((n >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// Past the NUL ending the string at `at`.
function nulAfter(data: Buffer, at: number): number {
  const nul = data.indexOf(0, at);
  if (nul < 0) throw new RangeError('unterminated string');
  return nul + 1;
}

// Git's varint (varint.c): 7 bits a byte, most significant first, each continuation adding one.
function readVarint(data: Buffer, at: number): [number, number] {
  let c = data[at++];
  if (c === undefined) throw new RangeError('varint past the end');
  let value = c & 127;
  while (c & 128) {
    c = data[at++];
    if (c === undefined || value > 2 ** 40) throw new RangeError('bad varint');
    value = (value + 1) * 128 + (c & 127);
  }
  return [value, at];
}

function encodeVarint(value: number): Buffer {
  const bytes = [value & 127];
  let v = Math.floor(value / 128);
  while (v > 0) {
    v -= 1;
    bytes.unshift(128 | (v & 127));
    v = Math.floor(v / 128);
  }
  return Buffer.from(bytes);
}
