// node:fs/promises' calls for the server's own small files (the change feed, markers, tokens, the
// pool's entry names, a server git dir's few files), done synchronously behind the same promise
// signatures. An fs/promises call goes through libuv's thread pool: measured here, 37–46 µs of CPU
// for an `lstat` against 3–5 µs done at once, 90–105 µs for an `rm` of a missing file against
// 9–15 µs, 130–160 µs for a small `writeFile` against 13–17 µs (bench/notes.md, Round 12). A
// session makes ~150 such calls. Done at once, each blocks the event loop for its syscall: on a
// local disk microseconds, up to ~1 ms for a new inode on a slow one, as SQLite's commits do.
// Anything whose size is not bounded (a tree removed, an index copied, an agent's file's content)
// stays async.
import {
  appendFileSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';

// A synchronous call as a promise: its result, or its error as a rejection (as fs/promises has it).
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (e) {
    return Promise.reject(e);
  }
}

export const readFile: {
  (path: string, encoding: 'utf8'): Promise<string>;
  (path: string): Promise<Buffer>;
} = ((path: string, encoding?: 'utf8') =>
  settle(() => (encoding ? readFileSync(path, encoding) : readFileSync(path)))) as never;

export const writeFile = (path: string, data: string | Uint8Array, opts?: { mode?: number }) =>
  settle(() => writeFileSync(path, data, opts));

export const appendFile = (path: string, data: string) => settle(() => appendFileSync(path, data));

export const rename = (from: string, to: string) => settle(() => renameSync(from, to));

export const lstat = (path: string) => settle(() => lstatSync(path));

export const stat = (path: string) => settle(() => statSync(path));

/** As fs/promises' realpath: the system's realpath(3), not Node's walk with its cache. */
export const realpath = (path: string) => settle(() => realpathSync.native(path));

export const chmod = (path: string, mode: number) => settle(() => chmodSync(path, mode));

export const rmdir = (path: string) => settle(() => rmdirSync(path));

export const utimes = (path: string, atime: Date | number, mtime: Date | number) =>
  settle(() => utimesSync(path, atime, mtime));

export const mkdir = (path: string, opts?: { recursive?: boolean; mode?: number }) =>
  settle(() => mkdirSync(path, opts));

export const readdir = (path: string) => settle(() => readdirSync(path));

/** A file (a tree is removeTree's, src/workspace/remove-tree.ts, through the thread pool). */
export const rm = (path: string, opts: { force?: boolean } = {}) => settle(() => rmSync(path, opts));
