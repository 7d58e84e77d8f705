// Journals of what changes in checkouts, from inotify (fs.watch on every directory of a checkout),
// so that after a command in the sandbox the change feed (src/workspace/change-feed.ts) learns the
// paths the command touched without a walk of the whole tree.
//
// What a journal promises: every path that a write, create, delete, rename, mode or time change
// reached through a directory of the checkout while it was watched. Where that cannot be promised
// the journal is "unknown", and the caller walks the tree as without a watcher:
// - the kernel's event queue may have overflowed (a batch of events read at once as large as half
//   the queue: the events pending at an overflow are all read in one batch), or a watch could not
//   be added (the watch limit, a directory the agent made unreadable);
// - a watched directory vanished (deleted or renamed away): inotify does not tell which, and a
//   renamed directory takes the names under it out of the tree without an event for each;
// - a name that is not valid UTF-8, or the checkout's root itself changed.
// Like git's core.fsmonitor with watchman, a write through a shared memory map that never calls
// write(2) is not seen by inotify; neither is a write through a hard link whose other name is
// outside the checkout (the sandbox's writable places other than the checkout are separate
// filesystems, where a hard link cannot be made).
//
// One instance per process: libuv reads all watches of a process from one inotify descriptor, in
// the order the kernel queued the events, which is what makes `settle` a barrier.
import { type FSWatcher, lstatSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { closeFsmonitor, listenFsmonitor } from './fsmonitor-socket.ts';
import { FsmonitorState, readFsmonitorSeed } from './fsmonitor-state.ts';
import { BARRIER_PREFIX, queueLimit, sweepBarrierDirs, watchLimit } from './inotify-limits.ts';

/** Paths changed in a checkout since the journal was last cleared, or unknown. */
export interface Journal {
  /** Paths (relative, '/'-separated) that may have changed: files, links, and directories that appeared. */
  paths: string[];
  /** Directories among them (appeared, or their mode or times changed). */
  dirs: string[];
}

interface Tree {
  root: string;
  /** Watched directories by relative path ('' is the root), with the inode (and its birth) they were watched as. */
  watched: Map<string, { watcher: FSWatcher; ino: number; birth: number }>;
  paths: Set<string>;
  dirs: Set<string>;
  unknown: boolean;
  /** What the agent's fsmonitor hook is told (src/workspace/fsmonitor/agent-hook.ts), and its socket. */
  fsm?: FsmonitorState;
  socket?: Server;
  /** Moved away with its watches kept (parked): the paths events named since, to check at adoption. */
  parked?: Set<string>;
  /**
   * The name the root's own events carry: libuv names a directory's own events after the path it
   * was first watched at, which an adopted tree keeps after it moved.
   */
  selfName: string;
}

/** More noted paths than this: unknown (the change feed would not take them anyway). */
const MAX_PATHS = 4096;
/** Parked trees keep at most this share of the user's inotify watches, and at most this many trees. */
const PARKED_WATCH_SHARE = 0.25;
const MAX_PARKED = 64;
const BARRIER_TIMEOUT_MS = 30_000;

export class TreeWatches {
  readonly #trees = new Map<string, Tree>();
  // Checkouts moved away while known (a finished session's checkout going back to the pool), by
  // their root directory's identity: the next begin at the path they arrive at adopts their watches
  // instead of watching every directory again (~25 ms per 500 directories here), oldest first out.
  readonly #parked = new Map<string, Tree>();
  readonly #parkedWatchLimit = Math.floor(watchLimit() * PARKED_WATCH_SHARE);
  readonly #barrierDir: string;
  readonly #barrierWatch: FSWatcher;
  readonly #overflowAt: number;
  #nextBarrier = 0;
  readonly #barriers = new Map<string, () => void>();
  readonly #reached: (() => void)[] = [];
  #batch = 0;

  constructor() {
    sweepBarrierDirs();
    this.#barrierDir = mkdtempSync(join(tmpdir(), `${BARRIER_PREFIX}${process.pid}-`));
    this.#barrierWatch = watch(this.#barrierDir, (_type, name) => this.#onBarrier(name));
    this.#overflowAt = Math.floor(queueLimit() / 2);
  }

  /**
   * Starts (or, when unknown, restarts) watching the tree at `root` and clears its journal. False: it
   * cannot be watched. With `gitDir` (the checkout's server git dir) the agent's fsmonitor hook is
   * answered from now on, seeded from the change feed, once the tree is watched.
   */
  async begin(root: string, gitDir?: string): Promise<boolean> {
    await this.settle();
    let tree = this.#trees.get(root);
    if (tree?.unknown) {
      this.forget(root);
      tree = undefined;
    }
    tree ??= this.#adopt(root);
    if (!tree) {
      tree = {
        root,
        watched: new Map(),
        paths: new Set(),
        dirs: new Set(),
        unknown: false,
        selfName: basename(root),
      };
      this.#trees.set(root, tree);
      this.#watchTree(tree, '', false);
      if (tree.unknown) {
        this.forget(root);
        return false;
      }
    }
    this.#clearJournal(tree);
    if (gitDir !== undefined) await this.#seed(tree, gitDir);
    return true;
  }

  /** Every event queued before this call has been handled (and the journals it reached updated). */
  settle(): Promise<void> {
    const name = `b${this.#nextBarrier++}`;
    return new Promise((resolve) => {
      // Its event may be lost in an overflow (then the batch that shows it resolves every pending
      // barrier), or never come (the barrier directory removed): unknown, after a while.
      const timer = setTimeout(() => {
        this.#barriers.delete(name);
        this.#allUnknown();
        resolve();
      }, BARRIER_TIMEOUT_MS);
      this.#barriers.set(name, () => {
        clearTimeout(timer);
        resolve();
      });
      writeFileSync(join(this.#barrierDir, name), '');
    });
  }

  /** The journal of `root` since `begin`, or undefined when it is unknown or `root` is not watched. */
  async take(root: string): Promise<Journal | undefined> {
    await this.settle();
    const tree = this.#trees.get(root);
    if (!tree || tree.unknown) return undefined;
    const journal = { paths: [...tree.paths], dirs: [...tree.dirs] };
    this.#clearJournal(tree);
    return journal;
  }

  /** Stops watching `root` (parked there too). */
  forget(root: string): void {
    const tree = this.#trees.get(root);
    if (tree) {
      this.#trees.delete(root);
      this.#close(tree);
    }
    const key = identity(lstatSync(root, { throwIfNoEntry: false }));
    const parked = key === undefined ? undefined : this.#parked.get(key);
    if (parked) {
      this.#parked.delete(key!);
      this.#close(parked);
    }
  }

  #close(tree: Tree): void {
    for (const { watcher } of tree.watched.values()) watcher.close();
    tree.watched.clear();
    this.#stopAnswering(tree);
    tree.parked = undefined;
  }

  // The fsmonitor hook is no longer answered for this tree.
  #stopAnswering(tree: Tree): void {
    if (tree.socket) closeFsmonitor(tree.socket, tree.root);
    tree.socket = undefined;
    tree.fsm = undefined;
  }

  // The tree's root moved away (or was removed): its watches stay, keyed by the root's identity,
  // for a begin at wherever it arrives. Its journal and fsmonitor answer go (a new session's come).
  #park(tree: Tree): void {
    this.#trees.delete(tree.root);
    const root = tree.watched.get('');
    if (tree.unknown || root === undefined || root.birth === 0) {
      this.#close(tree);
      return;
    }
    this.#stopAnswering(tree);
    tree.paths.clear();
    tree.dirs.clear();
    tree.parked = new Set();
    const key = keyOf(root);
    const old = this.#parked.get(key);
    if (old) this.#close(old);
    this.#parked.set(key, tree);
    let watches = 0;
    for (const t of this.#parked.values()) watches += t.watched.size;
    for (const [k, t] of this.#parked) {
      if (watches <= this.#parkedWatchLimit && this.#parked.size <= MAX_PARKED) break;
      watches -= t.watched.size;
      this.#parked.delete(k);
      this.#close(t);
    }
  }

  // A parked tree whose root is now at `root`, its watches checked against what is there: every
  // watched directory is still the one it was (or gone), and every directory that events named
  // meanwhile is watched. Undefined (and the parked tree dropped) when none is, or it does not hold.
  #adopt(root: string): Tree | undefined {
    const key = identity(lstatSync(root, { throwIfNoEntry: false }));
    if (key === undefined) return undefined;
    // Registered under another path (its move not seen): its journal is not to be trusted.
    for (const other of [...this.#trees.values()]) {
      const r = other.watched.get('');
      if (other.root !== root && r && keyOf(r) === key) this.forget(other.root);
    }
    const tree = this.#parked.get(key);
    if (!tree?.parked) return undefined;
    this.#parked.delete(key!);
    const touched = tree.parked;
    tree.parked = undefined;
    tree.root = root;
    for (const [rel, w] of [...tree.watched]) {
      const st = lstatSync(rel === '' ? root : join(root, rel), { throwIfNoEntry: false });
      if (st === undefined) {
        w.watcher.close();
        tree.watched.delete(rel);
      } else if (!sameDir(st, w)) {
        this.#close(tree);
        return undefined;
      }
    }
    this.#trees.set(root, tree);
    for (const rel of touched) {
      if (tree.watched.has(rel)) continue;
      if (lstatSync(join(root, rel), { throwIfNoEntry: false })?.isDirectory())
        this.#watchTree(tree, rel, false);
    }
    if (tree.unknown) {
      this.#trees.delete(root);
      this.#close(tree);
      return undefined;
    }
    return tree;
  }

  close(): void {
    for (const root of [...this.#trees.keys()]) this.forget(root);
    for (const tree of this.#parked.values()) this.#close(tree);
    this.#parked.clear();
    this.#barrierWatch.close();
    rmSync(this.#barrierDir, { recursive: true, force: true });
  }

  /** Trees moved away with their watches kept (tests). */
  get parkedCount(): number {
    return this.#parked.size;
  }

  get watchCount(): number {
    let n = 0;
    for (const tree of this.#trees.values()) n += tree.watched.size;
    return n;
  }

  // The journal is cleared (at begin and take); what it named stays named to the fsmonitor hook.
  #clearJournal(tree: Tree): void {
    if (tree.fsm && !tree.fsm.add({ paths: [...tree.paths], dirs: [...tree.dirs] })) tree.fsm = undefined;
    tree.paths.clear();
    tree.dirs.clear();
  }

  // Read after the tree is watched: a change made before is in the feed (the file tools append
  // before they write), one made after is in the journal.
  async #seed(tree: Tree, gitDir: string): Promise<void> {
    const seed = await readFsmonitorSeed(gitDir).catch(() => undefined);
    if (tree.unknown || this.#trees.get(tree.root) !== tree) return;
    if (seed === undefined) {
      tree.fsm = undefined;
      return;
    }
    if (tree.fsm?.token !== seed.token) tree.fsm = new FsmonitorState(seed.token);
    if (!tree.fsm.add(seed.journal)) tree.fsm = undefined;
    else tree.socket ??= listenFsmonitor(tree.root, (token) => this.#answer(tree, token));
  }

  async #answer(tree: Tree, token: string): Promise<Buffer | undefined> {
    if (tree.fsm?.token !== token) return undefined;
    await this.settle();
    if (tree.unknown || this.#trees.get(tree.root) !== tree || tree.fsm?.token !== token) return undefined;
    return tree.fsm.reply({ paths: [...tree.paths], dirs: [...tree.dirs] });
  }

  // Events are counted per batch (the events libuv reads before the loop moves on): a batch as
  // large as the overflow mark may hide an overflow, and every journal becomes unknown. Barriers
  // reached in a batch resolve only after that check.
  #schedule(): void {
    if (this.#batch++ > 0) return;
    setImmediate(() => {
      if (this.#batch > this.#overflowAt) {
        this.#allUnknown();
        // Their events may be among those the overflow dropped.
        for (const resolve of this.#barriers.values()) this.#reached.push(resolve);
        this.#barriers.clear();
      }
      this.#batch = 0;
      for (const resolve of this.#reached.splice(0)) resolve();
    });
  }

  #allUnknown(): void {
    for (const tree of this.#trees.values()) tree.unknown = true;
    for (const tree of this.#parked.values()) this.#close(tree);
    this.#parked.clear();
  }

  #onBarrier(name: string | null): void {
    this.#schedule();
    if (name === null) return;
    const resolve = this.#barriers.get(name);
    if (!resolve) return;
    this.#barriers.delete(name);
    rmSync(join(this.#barrierDir, name), { force: true });
    this.#reached.push(resolve);
  }

  #onEvent(tree: Tree, dir: string, name: string | null): void {
    this.#schedule();
    if (tree.parked) {
      this.#onParkedEvent(tree, dir, name);
      return;
    }
    if (tree.unknown || this.#trees.get(tree.root) !== tree) return;
    if (!nameable(name)) {
      tree.unknown = true;
      return;
    }
    // An event on the watched directory itself carries its own name: it may be either.
    if (dir === '') {
      if (name === tree.selfName || name === basename(tree.root)) {
        // The root itself (or a child of the same name). Moved or removed: parked, for the next
        // begin where it arrives. Still there (its mode or times changed): unknown.
        const root = tree.watched.get('');
        if (!root || !sameDir(lstatSync(tree.root, { throwIfNoEntry: false }), root)) {
          this.#park(tree);
          return;
        }
        tree.unknown = true;
        return;
      }
    } else if (name === basename(dir)) {
      this.#noteEntry(tree, dir);
    }
    // The agent's .git is not watched (the reset rebuilds it, and no change set reads it).
    if (dir === '' && name === '.git') return;
    this.#noteEntry(tree, dir === '' ? name : `${dir}/${name}`);
  }

  // Names only: where they are checked at adoption. Too many, or one that cannot be named: dropped.
  #onParkedEvent(tree: Tree, dir: string, name: string | null): void {
    const touched = tree.parked!;
    if (nameable(name) && touched.size < MAX_PATHS) {
      if (!(dir === '' && name === '.git')) touched.add(dir === '' ? name : `${dir}/${name}`);
      return;
    }
    const key = keyOf(tree.watched.get('')!);
    if (this.#parked.get(key) === tree) this.#parked.delete(key);
    this.#close(tree);
  }

  // `rel` may have changed: note it, and keep the watches in step with what is there now.
  #noteEntry(tree: Tree, rel: string): void {
    if (tree.unknown) return;
    tree.paths.add(rel);
    if (tree.paths.size > MAX_PATHS) {
      tree.unknown = true;
      return;
    }
    const st = lstatSync(join(tree.root, rel), { throwIfNoEntry: false });
    const watched = tree.watched.get(rel);
    if (watched && !sameDir(st, watched)) {
      // A watched directory is gone (deleted or renamed away): what was under it is not known.
      tree.unknown = true;
      return;
    }
    if (st?.isDirectory()) {
      tree.dirs.add(rel);
      if (!watched) this.#watchTree(tree, rel, true);
    }
  }

  // Watches `rel` and every directory under it (each watched before it is read: an entry made
  // meanwhile is seen either way). `noteAll`: a directory that appeared while the tree was watched;
  // everything found in it is noted, having been made before its watch.
  #watchTree(tree: Tree, rel: string, noteAll: boolean): void {
    const stack = [rel];
    while (stack.length > 0 && !tree.unknown) {
      const at = stack.pop()!;
      const abs = at === '' ? tree.root : join(tree.root, at);
      let entries: import('node:fs').Dirent[];
      try {
        const st = lstatSync(abs);
        if (!st.isDirectory()) continue;
        const watcher = watch(abs, { persistent: false }, (_type, name) => this.#onEvent(tree, at, name));
        tree.watched.set(at, { watcher, ino: st.ino, birth: st.birthtimeMs });
        entries = readdirSync(abs, { withFileTypes: true });
      } catch (e) {
        // Gone meanwhile (its parent's event notes it); anything else (no watches left, unreadable): unknown.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') tree.unknown = true;
        continue;
      }
      for (const entry of entries) {
        const child = at === '' ? entry.name : `${at}/${entry.name}`;
        if (at === '' && entry.name === '.git') continue;
        if (noteAll) {
          tree.paths.add(child);
          if (tree.paths.size > MAX_PATHS) tree.unknown = true;
        }
        if (entry.isDirectory()) {
          if (noteAll) tree.dirs.add(child);
          stack.push(child);
        }
      }
    }
  }
}

// A name an event gave whole (libuv passes a name that is not UTF-8 on with U+FFFD in it).
function nameable(name: string | null): name is string {
  return name?.isWellFormed() === true && !name.includes('\uFFFD');
}

// A directory's identity across renames: its inode and birth time (an inode number alone may be
// reused by a directory made after the first was removed). Undefined without a birth time.
function identity(st: import('node:fs').Stats | undefined): string | undefined {
  if (!st?.isDirectory() || !st.birthtimeMs) return undefined;
  return keyOf({ ino: st.ino, birth: st.birthtimeMs });
}

// The identity a watched directory was watched as.
function keyOf(w: { ino: number; birth: number }): string {
  return `${w.ino}:${w.birth}`;
}

// Whether `st` is still the directory watched as `w` (not gone, replaced or renamed over).
function sameDir(st: import('node:fs').Stats | undefined, w: { ino: number; birth: number }): boolean {
  return st?.isDirectory() === true && st.ino === w.ino && st.birthtimeMs === w.birth;
}
