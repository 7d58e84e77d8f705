/**
 * A small AIP-160 subset: comparisons `field op value` joined by AND, where
 * value is a bare word, a number or a "quoted string". Enough for
 * `archived = true`, `state = COMPLETED`, `create_time > "2026-..."`, `name = sources/...`.
 */
import { invalidArgument } from '../domain/errors.ts';

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=';

export interface Comparison {
  field: string;
  op: FilterOp;
  value: string;
}

const TERM = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(>=|<=|!=|=|>|<)\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*/;

export function parseFilter(text: unknown): Comparison[] {
  if (text === undefined || text === '') return [];
  if (typeof text !== 'string') throw invalidArgument('filter must be a string.');
  if (text.length > 1000) throw invalidArgument('filter is too long.');
  const out: Comparison[] = [];
  let rest = text;
  while (rest.trim() !== '') {
    const m = TERM.exec(rest);
    if (!m) throw invalidArgument(`filter could not be parsed near '${rest.trim().slice(0, 40)}'.`);
    const raw = m[3]!;
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    out.push({ field: m[1]!, op: m[2] as FilterOp, value });
    rest = rest.slice(m[0].length);
    const and = /^AND\s+/i.exec(rest);
    if (and) rest = rest.slice(and[0].length);
    else if (rest.trim() !== '')
      throw invalidArgument(`filter: expected AND near '${rest.trim().slice(0, 40)}'.`);
  }
  return out;
}

/** Normalises snake_case / camelCase field names. */
export function fieldKey(field: string): string {
  return field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
