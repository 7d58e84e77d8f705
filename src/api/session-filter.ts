/**
 * The sessions filter: `archived`, `state` and `source` (also `sourceContext.source`) compared with
 * `=` (and `!=` for archived and state), combined with AND, OR and parentheses. Each branch of the
 * filter's normal form becomes one store query on the (tenant, archived, create_time, id) index;
 * a page is the newest-first merge of the branches' pages, so OR never turns a seek into a scan.
 * A branch that says nothing about `archived` lists unarchived sessions, as without a filter.
 */
import { invalidArgument } from '../domain/errors.ts';
import type { Session } from '../domain/session.ts';
import { SESSION_STATES, type SessionState, WIRE_SESSION_STATES } from '../domain/states.ts';
import { type Comparison, fieldKey, parseFilterDnf } from './filter.ts';

/** Store queries one page of a filtered listing may run. */
export const MAX_SESSION_BRANCHES = 24;

export interface SessionBranch {
  archived: boolean;
  state?: SessionState;
  source?: string;
}

/** The distinct branches a sessions filter matches (none: it can match nothing). */
export function sessionFilterBranches(text: unknown): SessionBranch[] {
  const out = new Map<string, SessionBranch>();
  for (const conj of parseFilterDnf(text)) {
    for (const b of expandBranch(conj)) out.set(JSON.stringify(b), b);
  }
  if (out.size > MAX_SESSION_BRANCHES) {
    throw invalidArgument(
      `filter: matches too many separate (archived, state, source) combinations (more than ${MAX_SESSION_BRANCHES}); simplify it.`,
    );
  }
  return [...out.values()].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function expandBranch(conj: Comparison[]): SessionBranch[] {
  let archived: Set<boolean> = new Set([true, false]);
  let archivedSaid = false;
  let states: Set<SessionState> | undefined;
  let source: string | undefined;
  let empty = false;
  for (const c of conj) {
    const key = fieldKey(c.field);
    if (key === 'archived') {
      if (c.value !== 'true' && c.value !== 'false')
        throw invalidArgument(`filter: archived must be true or false; got '${c.value}'.`);
      if (c.op !== '=' && c.op !== '!=')
        throw invalidArgument(`filter: archived supports only = and !=; got '${c.op}'.`);
      const want = (c.value === 'true') === (c.op === '=');
      archived = new Set([...archived].filter((a) => a === want));
      archivedSaid = true;
    } else if (key === 'state') {
      if (!(WIRE_SESSION_STATES as readonly string[]).includes(c.value))
        throw invalidArgument(`filter: unknown state '${c.value}'; use one of ${SESSION_STATES.join(', ')}.`);
      if (c.op !== '=' && c.op !== '!=')
        throw invalidArgument(`filter: state supports only = and !=; got '${c.op}'.`);
      const matching = SESSION_STATES.filter((s) => (s === c.value) === (c.op === '='));
      states = new Set((states ? [...states] : SESSION_STATES).filter((s) => matching.includes(s)));
    } else if (key === 'source' || key === 'sourceContext.source') {
      if (c.op !== '=') throw invalidArgument(`filter: ${c.field} supports only =; got '${c.op}'.`);
      if (source !== undefined && source !== c.value) empty = true;
      source = c.value;
    } else {
      throw invalidArgument(
        `filter: unknown field '${c.field}' for sessions; use archived, state or sourceContext.source.`,
      );
    }
  }
  if (!archivedSaid) archived = new Set([false]);
  if (empty || archived.size === 0 || states?.size === 0) return [];
  const out: SessionBranch[] = [];
  for (const a of archived) {
    const base: SessionBranch = { archived: a, ...(source !== undefined ? { source } : {}) };
    if (states === undefined || states.size === SESSION_STATES.length) out.push(base);
    else for (const s of states) out.push({ ...base, state: s });
  }
  return out;
}

type ListPage = (
  page: SessionBranch & { limit: number; after?: { createTime: number; id: string } },
) => Promise<Session[]>;

/**
 * Up to `want` sessions of the branches, newest first, after the cursor. Branches that differ only
 * in their state share one walk of the index, the states checked as rows come (chunked), so an OR
 * of states, or `state != X`, reads what one query over the index would, never one scan per state
 * (a state with no rows would otherwise cost a whole range scan on every page).
 */
export async function listBranches(
  list: ListPage,
  branches: SessionBranch[],
  after: { createTime: number; id: string } | undefined,
  want: number,
): Promise<Session[]> {
  const groups = new Map<string, { base: SessionBranch; states: Set<SessionState> | undefined }>();
  for (const b of branches) {
    const base: SessionBranch = {
      archived: b.archived,
      ...(b.source !== undefined ? { source: b.source } : {}),
    };
    const key = JSON.stringify(base);
    const g = groups.get(key) ?? { base, states: new Set<SessionState>() };
    groups.set(key, g);
    if (b.state === undefined) g.states = undefined;
    else g.states?.add(b.state);
  }
  const cursor = after ? { after } : {};
  const pages = await Promise.all(
    [...groups.values()].map(async ({ base, states }) => {
      if (states === undefined || states.size === SESSION_STATES.length)
        return list({ ...base, limit: want, ...cursor });
      if (states.size === 1) return list({ ...base, state: [...states][0]!, limit: want, ...cursor });
      const out: Session[] = [];
      const chunk = Math.max(want * 4, 100);
      let at = after;
      for (;;) {
        const rows = await list({ ...base, limit: chunk, ...(at ? { after: at } : {}) });
        for (const r of rows) {
          if (!states.has(r.state)) continue;
          out.push(r);
          if (out.length === want) return out;
        }
        const last = rows.at(-1);
        if (rows.length < chunk || !last) return out;
        at = { createTime: last.createTime, id: last.id };
      }
    }),
  );
  return mergeBranchPages(pages, want);
}

/** Newest first, as the store lists them: createTime descending, then id descending. */
function newerFirst(a: Session, b: Session): number {
  if (a.createTime !== b.createTime) return b.createTime - a.createTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Merges the branches' pages (each already newest first) into one page of at most `limit`. */
export function mergeBranchPages(pages: Session[][], limit: number): Session[] {
  if (pages.length === 1) return pages[0]!.slice(0, limit);
  const seen = new Set<string>();
  const out: Session[] = [];
  for (const s of pages.flat().sort(newerFirst)) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    out.push(s);
    if (out.length === limit) break;
  }
  return out;
}
