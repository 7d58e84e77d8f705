// Pins of base commits in the source mirrors, one ref per commit (refs/stint/commit/<id>) and
// reference-counted in the store, instead of one loose ref per session: a session start records
// its pin in the store (an insert) and writes a ref only for a commit no session pinned before;
// loose refs are packed once a few have piled up; the janitor asks the store which commits no
// session needs any more (the sessions' pins go with them) and drops just those refs. So neither
// a fetch (which reads every ref) nor a session start nor a sweep grows with the sessions a
// source has had.
//
// Order keeps a needed commit pinned: a pin goes into the store before its ref is written; the
// janitor deletes a ref before forgetting the commit in the store, and writes it back if a
// session pinned the commit meanwhile. (A ref only guards against pruning; the mirror never
// prunes, so the moment in between is harmless.)
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { COMMIT_ID } from '../../domain/commit-id.ts';
import type { PinStore } from '../../store/pin-store.ts';
import type { Mirror } from './mirror.ts';

export const COMMIT_PIN_PREFIX = 'commit/';
/** Per-session refs written before pins were counted in the store; moved into it once. */
const LEGACY_PREFIXES = ['base/', 'pushed/'] as const;
const PACK_AFTER_LOOSE = 64;
const SWEEP_BATCH = 500;

interface MirrorState {
  key: string;
  /** Commits whose ref this process knows exists. */
  refs: Set<string>;
  /** Pin refs written loose since the last pack. */
  loose: number;
  legacyMoved: boolean;
}

export class MirrorPins {
  readonly #store: PinStore;
  readonly #states = new Map<string, Promise<MirrorState>>();
  readonly #ids = new Map<string, Promise<string>>();

  constructor(store: PinStore) {
    this.#store = store;
  }

  /** Keeps the session's base commit in the mirror for as long as the session exists. */
  async pin(mirror: Mirror, sessionId: string, commitId: string): Promise<void> {
    if (!COMMIT_ID.test(commitId)) throw new Error(`invalid commit id ${commitId}`);
    const state = await this.#state(mirror);
    await this.#store.addPin(state.key, commitId, sessionId);
    if (state.refs.has(commitId)) return;
    await mirror.pin(`${COMMIT_PIN_PREFIX}${commitId}`, commitId);
    state.refs.add(commitId);
    if (++state.loose >= PACK_AFTER_LOOSE) {
      state.loose = 0;
      await mirror.git(['pack-refs', '--all']);
    }
  }

  /** Drops the refs of commits no session needs any more, in each mirror. */
  async sweep(mirrors: readonly Mirror[]): Promise<{ dropped: number }> {
    let dropped = 0;
    for (const mirror of mirrors) {
      const state = await this.#state(mirror);
      if (!state.legacyMoved) {
        await this.#moveLegacy(mirror, state);
        state.legacyMoved = true;
      }
      for (let round = 0; round < 1000; round++) {
        const commits = await this.#store.unreferencedPins(state.key, SWEEP_BATCH);
        if (commits.length === 0) break;
        await deleteRefs(
          mirror,
          commits.map((c) => `refs/stint/${COMMIT_PIN_PREFIX}${c}`),
        );
        for (const c of commits) {
          state.refs.delete(c);
          if (await this.#store.dropPin(state.key, c)) {
            dropped++;
          } else {
            // Pinned again while we deleted its ref: it stays.
            await mirror.pin(`${COMMIT_PIN_PREFIX}${c}`, c);
            state.refs.add(c);
          }
        }
        if (commits.length < SWEEP_BATCH) break;
      }
    }
    return { dropped };
  }

  /** The store's name of a mirror: one data directory's mirror directory. */
  async keyOf(mirror: Mirror): Promise<string> {
    return (await this.#state(mirror)).key;
  }

  #state(mirror: Mirror): Promise<MirrorState> {
    let state = this.#states.get(mirror.dir);
    if (!state) {
      state = (async () => {
        const id = await this.#dataDirId(dirname(mirror.dir));
        const refs = new Set(await listPinned(mirror, `refs/stint/${COMMIT_PIN_PREFIX}`));
        return { key: `${id}/${basename(mirror.dir)}`, refs, loose: 0, legacyMoved: false };
      })();
      state.catch(() => this.#states.delete(mirror.dir));
      this.#states.set(mirror.dir, state);
    }
    return state;
  }

  // A random id per mirrors directory, made once: workers with their own data directories (on
  // other machines too) keep apart pins of mirrors with the same name.
  #dataDirId(root: string): Promise<string> {
    let id = this.#ids.get(root);
    if (!id) {
      id = (async () => {
        const file = join(root, '.pins-id');
        const fresh = randomBytes(12).toString('hex');
        await writeFile(file, `${fresh}\n`, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
        const stored = (await readFile(file, 'utf8')).trim();
        if (!/^[0-9a-f]{24}$/.test(stored)) throw new Error(`${file} is not a pin id`);
        return stored;
      })();
      id.catch(() => this.#ids.delete(root));
      this.#ids.set(root, id);
    }
    return id;
  }

  // Refs a session wrote for itself before this: base pins become counted pins of the sessions
  // that still exist (checked in batches in the store, not one lookup each); pushed pins are no
  // longer kept (the pushed branch holds the commit). All go in one ref transaction.
  async #moveLegacy(mirror: Mirror, state: MirrorState): Promise<void> {
    const old: string[] = [];
    const base: { commitId: string; sessionId: string }[] = [];
    for (const prefix of LEGACY_PREFIXES) {
      for (const { ref, id } of await listRefs(mirror, `refs/stint/${prefix}`)) {
        old.push(ref);
        if (prefix === 'base/' && COMMIT_ID.test(id)) {
          base.push({ commitId: id, sessionId: ref.slice(`refs/stint/${prefix}`.length) });
        }
      }
    }
    if (old.length === 0) return;
    await this.#store.addPins(state.key, base);
    const counts = await this.#store.pinCounts(state.key);
    for (const commitId of new Set(base.map((b) => b.commitId))) {
      if ((counts[commitId] ?? 0) > 0 && !state.refs.has(commitId)) {
        await mirror.pin(`${COMMIT_PIN_PREFIX}${commitId}`, commitId);
        state.refs.add(commitId);
      }
    }
    await deleteRefs(mirror, old);
    await mirror.git(['pack-refs', '--all']);
  }
}

async function listRefs(mirror: Mirror, prefix: string): Promise<{ ref: string; id: string }[]> {
  const { stdout } = await mirror.git(['for-each-ref', '--format=%(objectname) %(refname)', '--', prefix]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(' ');
      return { id: line.slice(0, at), ref: line.slice(at + 1) };
    });
}

async function listPinned(mirror: Mirror, prefix: string): Promise<string[]> {
  return (await listRefs(mirror, prefix))
    .map((r) => r.ref.slice(prefix.length))
    .filter((c) => COMMIT_ID.test(c));
}

/** Deletes refs in one transaction (loose files and packed-refs entries alike). */
async function deleteRefs(mirror: Mirror, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) return;
  await mirror.git(['update-ref', '--stdin'], { input: refs.map((r) => `delete ${r}\n`).join('') });
}
