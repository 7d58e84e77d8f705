/**
 * The agent's checkpoint as an append-only log: each committed step stores only what changed since
 * the step before (arrays that grew, such as the LLM agent's messages, store only their new items),
 * so a step costs the size of the step, not of the whole transcript. A checkpoint that is not an
 * object, or the first one a run commits without a known predecessor, is stored whole (a base).
 *
 * An array counts as grown when its old items are still there: the same objects (an agent appends
 * to its transcript and replaces the array to rewrite it, as compaction does), or, after a resume
 * (the agent works on a copy), equal ones. Agents must not change an item in place once emitted.
 */
import type { TranscriptEntry } from '../store/store.ts';

interface Delta {
  set?: Record<string, unknown>;
  unset?: string[];
  append?: Record<string, unknown[]>;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The checkpoint the entries (from a base on) describe; undefined when there are none. */
export function replayTranscript(entries: readonly TranscriptEntry[]): unknown {
  let state: unknown;
  for (const e of entries) {
    if (e.kind === 'base') {
      state = e.body === null ? undefined : e.body;
      continue;
    }
    const d = e.body as Delta;
    const obj: Obj = isObject(state) ? state : {};
    for (const k of d.unset ?? []) delete obj[k];
    for (const [k, v] of Object.entries(d.set ?? {})) obj[k] = v;
    for (const [k, items] of Object.entries(d.append ?? {})) {
      const arr = obj[k];
      if (Array.isArray(arr)) for (const item of items) arr.push(item);
      else obj[k] = [...items];
    }
    state = obj;
  }
  return state;
}

export class TranscriptLog {
  /** The last committed checkpoint's keys and, per array, its items (as committed). */
  #keys: Set<string> | undefined;
  #arrays = new Map<string, readonly unknown[]>();

  /** Primed with the checkpoint the store holds, so the next step can be a delta of it. */
  constructor(committed?: unknown) {
    if (committed !== undefined) this.#remember(committed);
  }

  /** The entry that stores `next`; remembered as committed (the caller commits it, or stops). */
  entry(next: unknown): TranscriptEntry {
    const keys = this.#keys;
    if (!isObject(next) || keys === undefined) {
      this.#remember(next);
      return { kind: 'base', body: next };
    }
    const set: Record<string, unknown> = {};
    const append: Record<string, unknown[]> = {};
    const unset = [...keys].filter((k) => !(k in next));
    for (const [k, v] of Object.entries(next)) {
      const before = this.#arrays.get(k);
      if (Array.isArray(v) && before && grewFrom(before, v)) {
        if (v.length > before.length) append[k] = v.slice(before.length);
      } else {
        set[k] = v;
      }
    }
    this.#remember(next);
    const d: Delta = {};
    if (Object.keys(set).length > 0) d.set = set;
    if (Object.keys(append).length > 0) d.append = append;
    if (unset.length > 0) d.unset = unset;
    return { kind: 'delta', body: d };
  }

  #remember(state: unknown): void {
    this.#arrays.clear();
    if (!isObject(state)) {
      this.#keys = undefined;
      return;
    }
    this.#keys = new Set(Object.keys(state));
    for (const [k, v] of Object.entries(state)) if (Array.isArray(v)) this.#arrays.set(k, [...v]);
  }
}

function grewFrom(before: readonly unknown[], now: readonly unknown[]): boolean {
  if (now.length < before.length) return false;
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== now[i] && JSON.stringify(before[i]) !== JSON.stringify(now[i])) return false;
  }
  return true;
}
