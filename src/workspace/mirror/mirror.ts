// One source's bare mirror: every branch of the remote, fetched on demand. Concurrent sessions
// share one fetch: a caller arriving while a fetch runs waits for that fetch instead of starting
// another (a directory lock extends this to other processes sharing the data dir).
//
// Only Stint writes here; agents never work in a mirror, so running git in it is safe. The URL and
// credentials are passed on each call and never stored in the mirror's config.
import { randomBytes } from 'node:crypto';
import { readdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { COMMIT_ID } from '../../domain/commit-id.ts';
import { GitError, type GitOptions, runGit } from '../git.ts';
import type { GitRemote } from '../git-auth.ts';
import { isSafeRefName } from '../refs.ts';
import { removeTree } from '../remove-tree.ts';
import { withDirLock } from './dir-lock.ts';
import { readRefFile, writeRefFile } from './ref-files.ts';

const FETCH_TIMEOUT_MS = 10 * 60_000;
const HEADS_REFSPEC = '+refs/heads/*:refs/heads/*';
// Repack when fetches have left this many packs behind (each pack slows every object lookup).
const MAX_PACKS = 24;
const MAX_LOOSE = 2000;
const CHECK_EVERY_FETCHES = 20;
// Every session start fetches: skip what costs a process or a history walk and is of no use here
// (auto-maintenance, the forced-update report, submodules).
const FAST_FETCH_CONFIG: readonly string[] = [
  '-c',
  'maintenance.auto=false',
  '-c',
  'fetch.showForcedUpdates=false',
  '-c',
  'fetch.recurseSubmodules=false',
];
const MIRROR_CONFIG: readonly (readonly [string, string])[] = [
  ['gc.auto', '0'],
  ['core.logAllRefUpdates', 'false'],
  // Checkouts fetch exact commits (a session's base) from the mirror.
  ['uploadpack.allowAnySHA1InWant', 'true'],
];

export class Mirror {
  readonly dir: string;
  #inflight: Promise<void> | undefined;
  #lastFetchAt = 0;
  #fetches = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  get lastFetchAt(): number {
    return this.#lastFetchAt;
  }

  /** Runs git in the mirror. */
  git(args: readonly string[], opts: GitOptions = {}) {
    return runGit(['--git-dir', this.dir, ...args], { ...opts, cwd: this.dir });
  }

  /**
   * Brings every branch up to date with the remote (creating the mirror on first use). A call made
   * while a fetch is running shares that fetch.
   */
  fetch(remote: GitRemote): Promise<void> {
    this.#inflight ??= withDirLock(`${this.dir}.lock`, () => this.#fetchLocked(remote), {
      timeoutMs: FETCH_TIMEOUT_MS,
    }).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** The commit a branch points to, or undefined when the mirror has no such branch. */
  async resolveBranch(branch: string): Promise<string | undefined> {
    if (!isSafeRefName(branch)) throw new Error(`unsafe branch name ${JSON.stringify(branch)}`);
    const ref = `refs/heads/${branch}`;
    return (await readRefFile(this.dir, ref)) ?? this.#resolve(ref);
  }

  async hasCommit(commitId: string): Promise<boolean> {
    if (!COMMIT_ID.test(commitId)) return false;
    return (await this.#resolve(commitId)) === commitId;
  }

  /** Keeps `commitId` (and its history) in the mirror under refs/stint/<name>. */
  async pin(name: string, commitId: string): Promise<void> {
    await writeRefFile(this.dir, `refs/stint/${checkName(name)}`, commitId);
  }

  async unpin(name: string): Promise<void> {
    await this.git(['update-ref', '--no-deref', '-d', `refs/stint/${checkName(name)}`]).catch(
      () => undefined,
    );
  }

  /** Names under refs/stint/<prefix> (e.g. the sessions pinned with `base/<id>`). */
  async pins(prefix: string): Promise<string[]> {
    const { stdout } = await this.git(['for-each-ref', '--format=%(refname)', '--', `refs/stint/${prefix}`]);
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((ref) => ref.slice(`refs/stint/${prefix}`.length));
  }

  async #resolve(rev: string): Promise<string | undefined> {
    try {
      const { stdout } = await this.git([
        'rev-parse',
        '--verify',
        '--quiet',
        '--end-of-options',
        `${rev}^{commit}`,
      ]);
      const id = stdout.trim();
      return COMMIT_ID.test(id) ? id : undefined;
    } catch (e) {
      if (e instanceof GitError && e.exitCode === 1) return undefined;
      throw e;
    }
  }

  async #fetchLocked(remote: GitRemote): Promise<void> {
    if (!(await isBareRepo(this.dir))) {
      await this.#create(remote);
    } else {
      await this.git(
        [
          ...FAST_FETCH_CONFIG,
          'fetch',
          '--quiet',
          '--prune',
          '--no-tags',
          '--no-write-fetch-head',
          // Only branches tell the remote what we have: pins (refs/stint/) would add one "have" each.
          '--negotiation-tip=refs/heads/*',
          '--',
          remote.url,
          HEADS_REFSPEC,
        ],
        { env: remote.env, timeoutMs: FETCH_TIMEOUT_MS },
      );
      await this.#repackIfNeeded();
    }
    this.#lastFetchAt = Date.now();
  }

  // Cloned next to its final place and renamed into it, so a crash never leaves half a mirror.
  async #create(remote: GitRemote): Promise<void> {
    await removeTree(this.dir);
    const tmp = join(dirname(this.dir), `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      // --no-local: a local source is read through git's transport too, giving one pack (not
      // hard links to its loose objects, which make every later checkout slow).
      await runGit(['clone', '--bare', '--quiet', '--no-tags', '--no-local', '--', remote.url, tmp], {
        env: remote.env,
        timeoutMs: FETCH_TIMEOUT_MS,
      });
      for (const [key, value] of MIRROR_CONFIG) {
        await runGit(['--git-dir', tmp, 'config', key, value], { cwd: tmp });
      }
      await runGit(['--git-dir', tmp, 'config', '--unset-all', 'remote.origin.url'], { cwd: tmp }).catch(
        () => undefined,
      );
      await rename(tmp, this.dir);
    } catch (e) {
      await removeTree(tmp);
      throw e;
    }
  }

  // Small fetches and Stint's own commits leave loose objects and small packs, which slow every
  // later read: now and then (a directory listing, no git process), pack them into one.
  async #repackIfNeeded(): Promise<void> {
    if (++this.#fetches % CHECK_EVERY_FETCHES !== 1) return;
    const packs = await readdir(join(this.dir, 'objects', 'pack')).catch(() => [] as string[]);
    let loose = 0;
    for (const name of await readdir(join(this.dir, 'objects')).catch(() => [] as string[])) {
      if (/^[0-9a-f]{2}$/.test(name))
        loose += (await readdir(join(this.dir, 'objects', name)).catch(() => [])).length;
    }
    if (packs.filter((f) => f.endsWith('.pack')).length <= MAX_PACKS && loose <= MAX_LOOSE) return;
    // -k: objects no branch reaches stay (checkouts and pins may still need them).
    await this.git(['repack', '-a', '-d', '-k', '-q'], { timeoutMs: FETCH_TIMEOUT_MS });
  }
}

async function isBareRepo(dir: string): Promise<boolean> {
  const st = await stat(join(dir, 'objects')).catch(() => undefined);
  return st?.isDirectory() === true;
}

function checkName(name: string): string {
  if (!isSafeRefName(name)) throw new Error(`unsafe ref name ${JSON.stringify(name)}`);
  return name;
}
