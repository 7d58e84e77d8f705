// The setup cache of one process (each worker keeps its own, on its own disk): what a source's setup
// produced, per tenant, source and cache key, kept across restarts and bounded in size (least
// recently used keys go first).
//
// An entry is a directory `<root>/<tenant hash>/<source hash>/<key>` holding `master/` (the cached
// paths, laid out as in the checkout), `spares/<id>/` (ready copies of master, made in the
// background), `meta.json` and a `used` stamp whose mtime orders eviction. A restore claims a spare
// with one atomic rename and renames its paths into the checkout, so the session gets files no
// other session and no cache entry shares: whatever its commands write cannot reach the cache or
// the next session (copy-on-write by copying ahead of time; hard links are not used because a
// sandboxed command runs as the same user and could change the shared inode in place). Without a
// spare (e.g. two sessions back to back), the restore copies master (`cp --reflink=auto`, a
// reflink where the filesystem has them).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { diskUsage } from '../security/disk-usage.ts';
import { isCheckoutRelativePath } from '../sources/setup-config.ts';
import { removeTree } from '../workspace/remove-tree.ts';
import type { SetupCacheSettings } from './setup-settings.ts';

const run = promisify(execFile);
const KEY = /^[0-9a-f]{64}$/;
const LEFTOVER_AGE_MS = 30 * 60_000;
const CP_BATCH = 200;

export interface SetupCacheOptions extends Omit<SetupCacheSettings, 'enabled'> {
  /** The cache directory; must be on the filesystem of the session checkouts (restores rename). */
  root: string;
  /** Background work (spares, eviction) that failed; it is retried on the next use. */
  onError?: (err: unknown) => void;
}

export interface CacheOwner {
  tenantId: string;
  sourceId: string;
}

export interface Restored {
  paths: string[];
  /** spare: renamed into place; copy: copied from the entry at restore time. */
  via: 'spare' | 'copy';
  bytes: number;
}

interface Meta {
  v: 1;
  tenantId: string;
  sourceId: string;
  paths: string[];
  bytes: number;
  createTime: string;
}

interface EntryInfo {
  dir: string;
  meta: Meta;
  spares: number;
  usedAt: number;
}

export class SetupCache {
  readonly #opts: SetupCacheOptions;
  #jobs: Promise<void> = Promise.resolve();
  #closed = false;
  #started: Promise<void> | undefined;

  constructor(opts: SetupCacheOptions) {
    this.#opts = opts;
  }

  get root(): string {
    return this.#opts.root;
  }

  /** Removes what a crash left half-made (old enough not to be another process's work in progress). */
  async start(now = Date.now()): Promise<void> {
    await mkdir(this.#opts.root, { recursive: true });
    for (const name of await readdir(this.#opts.root)) {
      if (!name.startsWith('.tmp-')) continue;
      const st = await stat(join(this.#opts.root, name)).catch(() => undefined);
      if (st && now - st.mtimeMs > LEFTOVER_AGE_MS) await removeTree(join(this.#opts.root, name));
    }
  }

  // Once per process, before the first use.
  #start(): Promise<void> {
    this.#started ??= this.start();
    return this.#started;
  }

  /** Waits for background work. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#jobs;
  }

  entryDir(owner: CacheOwner, key: string): string {
    if (!KEY.test(key)) throw new Error('invalid setup cache key');
    return join(this.#opts.root, hash(owner.tenantId), hash(owner.sourceId), key);
  }

  /**
   * Puts the entry's paths into `checkout` (paths the checkout already has are left alone).
   * Undefined on a miss.
   */
  async restore(owner: CacheOwner, key: string, checkout: string): Promise<Restored | undefined> {
    await this.#start();
    const dir = this.entryDir(owner, key);
    const meta = await readMeta(dir, owner);
    if (!meta) return undefined;
    const tmp = this.#tmpPath();
    let via: Restored['via'] = 'spare';
    try {
      if (!(await this.#claimSpare(dir, tmp))) {
        via = 'copy';
        await mkdir(tmp, { recursive: true });
        await copyPaths(join(dir, 'master'), tmp, meta.paths, false);
      }
      const placed: string[] = [];
      for (const p of meta.paths) {
        if (!(await safeParents(checkout, p, true))) continue;
        if (await lstat(join(checkout, p)).catch(() => undefined)) continue;
        await rename(join(tmp, p), join(checkout, p));
        placed.push(p);
      }
      await touch(join(dir, 'used'));
      return { paths: placed, via, bytes: meta.bytes };
    } catch (e) {
      // Evicted meanwhile, or a damaged entry: a miss (setup runs); a damaged one is dropped.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') await this.#drop(dir);
      return undefined;
    } finally {
      await removeTree(tmp);
      this.#background(() => this.#refill(dir, meta.bytes));
    }
  }

  /**
   * Keeps `paths` of `checkout` under the key (the paths that exist as files, directories or
   * links inside the checkout). Returns the bytes kept, or undefined when nothing was kept (no
   * path, larger than the whole cache, or another session of the same key was first).
   */
  async save(
    owner: CacheOwner,
    key: string,
    checkout: string,
    paths: readonly string[],
  ): Promise<{ bytes: number; paths: string[] } | undefined> {
    await this.#start();
    const dir = this.entryDir(owner, key);
    const kept: string[] = [];
    for (const p of topmost(paths)) {
      if (!isCheckoutRelativePath(p) || !(await safeParents(checkout, p, false))) continue;
      if (await lstat(join(checkout, p)).catch(() => undefined)) kept.push(p);
    }
    if (kept.length === 0) return undefined;
    const tmp = this.#tmpPath();
    try {
      await mkdir(join(tmp, 'master'), { recursive: true });
      await copyPaths(checkout, join(tmp, 'master'), kept, false);
      const bytes = await diskUsage(join(tmp, 'master'), this.#opts.maxBytes);
      if (bytes > this.#opts.maxBytes) return undefined;
      const meta: Meta = {
        v: 1,
        tenantId: owner.tenantId,
        sourceId: owner.sourceId,
        paths: kept,
        bytes,
        createTime: new Date().toISOString(),
      };
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      await writeFile(join(tmp, 'used'), '');
      await mkdir(join(tmp, 'spares'));
      await mkdir(dirname(dir), { recursive: true });
      try {
        await rename(tmp, dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return undefined; // kept by another session first
        throw e;
      }
      this.#background(async () => {
        await this.#evict(dirname(dir));
        await this.#refill(dir, bytes);
      });
      return { bytes, paths: kept };
    } finally {
      await removeTree(tmp);
    }
  }

  /**
   * Moves `paths` out of a finished session's checkout (one rename each) and removes them in the
   * background, so the reset that readies the checkout for the next session does not delete them
   * file by file while that session waits.
   */
  async discard(checkout: string, paths: readonly string[]): Promise<void> {
    await this.#start();
    const tmp = this.#tmpPath();
    let moved = 0;
    for (const p of topmost(paths)) {
      if (!isCheckoutRelativePath(p) || !(await safeParents(checkout, p, false))) continue;
      if (!(await lstat(join(checkout, p)).catch(() => undefined))) continue;
      if (moved === 0) await mkdir(tmp);
      await rename(join(checkout, p), join(tmp, String(moved++)));
    }
    if (moved > 0) this.#background(() => removeTree(tmp));
  }

  /** Every entry with its size and last use (for eviction and tests). */
  async entries(): Promise<EntryInfo[]> {
    const out: EntryInfo[] = [];
    for (const t of await dirNames(this.#opts.root)) {
      if (t.startsWith('.tmp-')) continue;
      for (const s of await dirNames(join(this.#opts.root, t))) {
        for (const k of await dirNames(join(this.#opts.root, t, s))) {
          const dir = join(this.#opts.root, t, s, k);
          const meta = await readMeta(dir);
          if (!meta) continue;
          const usedAt = (await stat(join(dir, 'used')).catch(() => undefined))?.mtimeMs ?? 0;
          out.push({ dir, meta, usedAt, spares: (await dirNames(join(dir, 'spares'))).length });
        }
      }
    }
    return out;
  }

  /** Bytes the cache holds (each spare counts as a full copy). */
  async totalBytes(): Promise<number> {
    return (await this.entries()).reduce((n, e) => n + e.meta.bytes * (1 + e.spares), 0);
  }

  /** Runs queued background work now (tests). */
  settle(): Promise<void> {
    return this.#jobs;
  }

  // At most `entriesPerSource` keys in the source's directory, then at most maxBytes in all.
  async #evict(sourceDir: string): Promise<void> {
    const all = (await this.entries()).sort((a, b) => a.usedAt - b.usedAt);
    const ofSource = all.filter((e) => dirname(e.dir) === sourceDir);
    const gone = new Set<string>();
    for (const e of ofSource.slice(0, Math.max(0, ofSource.length - this.#opts.entriesPerSource))) {
      gone.add(e.dir);
      await this.#drop(e.dir);
    }
    let total = all.filter((e) => !gone.has(e.dir)).reduce((n, e) => n + e.meta.bytes * (1 + e.spares), 0);
    for (const e of all) {
      if (total <= this.#opts.maxBytes) break;
      if (gone.has(e.dir)) continue;
      total -= e.meta.bytes * (1 + e.spares);
      await this.#drop(e.dir);
    }
  }

  // Brings the entry to its number of spares, as far as the size bound allows.
  async #refill(dir: string, bytes: number): Promise<void> {
    for (let i = 0; i < this.#opts.spares && !this.#closed; i++) {
      const meta = await readMeta(dir);
      if (!meta) return;
      if ((await dirNames(join(dir, 'spares'))).length >= this.#opts.spares) return;
      if ((await this.totalBytes()) + bytes > this.#opts.maxBytes) return;
      const tmp = this.#tmpPath();
      try {
        await mkdir(tmp, { recursive: true });
        await copyPaths(join(dir, 'master'), tmp, meta.paths, true);
        await rename(tmp, join(dir, 'spares', randomBytes(6).toString('hex')));
      } finally {
        await removeTree(tmp);
      }
    }
  }

  async #claimSpare(dir: string, to: string): Promise<boolean> {
    for (const name of await dirNames(join(dir, 'spares'))) {
      try {
        await rename(join(dir, 'spares', name), to);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return false;
  }

  // Renamed out of the way first: a restore never sees half an entry.
  async #drop(dir: string): Promise<void> {
    const tmp = this.#tmpPath();
    try {
      await rename(dir, tmp);
    } catch {
      return;
    }
    await removeTree(tmp);
  }

  #background(fn: () => Promise<void>): void {
    if (this.#closed) return;
    this.#jobs = this.#jobs.then(fn).catch((e) => this.#opts.onError?.(e));
  }

  #tmpPath(): string {
    return join(this.#opts.root, `.tmp-${randomBytes(8).toString('hex')}`);
  }
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

async function readMeta(dir: string, owner?: CacheOwner): Promise<Meta | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Meta;
    if (m.v !== 1 || !Array.isArray(m.paths) || !m.paths.every((p) => isCheckoutRelativePath(p)))
      return undefined;
    // Directory names are hashes: the entry must say whose it is.
    if (owner && (m.tenantId !== owner.tenantId || m.sourceId !== owner.sourceId)) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

async function dirNames(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

async function touch(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => writeFile(path, ''));
}

/**
 * Whether every directory above `rel` inside `root` is a real directory (no symlink that would lead
 * a copy or a rename out of it). With `create`, missing ones are made.
 */
async function safeParents(root: string, rel: string, create: boolean): Promise<boolean> {
  const parts = rel.split('/');
  let path = root;
  for (const part of parts.slice(0, -1)) {
    path = join(path, part);
    const st = await lstat(path).catch(() => undefined);
    if (!st) {
      if (!create) return false;
      await mkdir(path);
      continue;
    }
    if (!st.isDirectory()) return false;
  }
  return true;
}

/** The paths without those inside another one of the list. */
function topmost(paths: readonly string[]): string[] {
  const clean = [...new Set(paths.map((p) => p.replace(/\/+$/, '')))].sort();
  return clean.filter((p) => !clean.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/** `cp -a` of relative paths from one root to another (parents made as needed). */
async function copyPaths(
  from: string,
  to: string,
  paths: readonly string[],
  background: boolean,
): Promise<void> {
  for (let i = 0; i < paths.length; i += CP_BATCH) {
    const batch = paths.slice(i, i + CP_BATCH);
    const args = ['-a', '--reflink=auto', '--parents', '-t', to, '--', ...batch];
    if (background) await run('nice', ['-n', '15', 'cp', ...args], { cwd: from, maxBuffer: 1 << 20 });
    else await run('cp', args, { cwd: from, maxBuffer: 1 << 20 });
  }
}
