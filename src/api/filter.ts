/**
 * AIP-160 filters as the Jules API uses them: comparisons `field op value` combined with AND and
 * OR, grouped with parentheses. Values are bare words (`sources/github/a/b`, `true`,
 * `2026-01-02T03:04:05.000000Z`) or quoted strings ("..." or '...', backslash escapes); spaces
 * around operators are optional. Precedence is AIP-160's: OR binds tighter than AND, so
 * `a = 1 AND b = 2 OR b = 3` is `a = 1 AND (b = 2 OR b = 3)`. AND and OR are accepted in any case.
 * Anything else (NOT, `-`, the `:` has-operator, functions, juxtaposed terms without AND) is
 * INVALID_ARGUMENT naming the part that is not supported. Each resource turns the parsed filter into
 * its disjunctive normal form (an OR of ANDs of comparisons) and maps each branch onto its indexed
 * queries.
 */
import { invalidArgument } from '../domain/errors.ts';

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=';

export interface Comparison {
  field: string;
  op: FilterOp;
  value: string;
}

export type FilterExpr =
  | ({ kind: 'cmp' } & Comparison)
  | { kind: 'and'; parts: FilterExpr[] }
  | { kind: 'or'; parts: FilterExpr[] };

export const MAX_FILTER_LENGTH = 1000;
/** Branches of the normal form a filter may expand to (each is one indexed query at most). */
export const MAX_FILTER_BRANCHES = 16;
const MAX_DEPTH = 20;

const FIELD = /[A-Za-z_][A-Za-z0-9_.]*/y;
const OPERATOR = /(>=|<=|!=|=|>|<)/y;
const SPACE = /\s*/y;

class Parser {
  readonly #text: string;
  #pos = 0;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): FilterExpr {
    const expr = this.#expression();
    this.#skip();
    if (this.#pos < this.#text.length) {
      if (this.#peek() === ')') this.#fail("unbalanced ')'");
      this.#fail('expected AND or OR between comparisons');
    }
    return expr;
  }

  // expression := factor (AND factor)*
  #expression(): FilterExpr {
    const parts = [this.#factor()];
    while (this.#keyword('AND')) parts.push(this.#factor());
    return parts.length === 1 ? parts[0]! : { kind: 'and', parts };
  }

  // factor := term (OR term)*
  #factor(): FilterExpr {
    const parts = [this.#term()];
    while (this.#keyword('OR')) parts.push(this.#term());
    return parts.length === 1 ? parts[0]! : { kind: 'or', parts };
  }

  // term := '(' expression ')' | comparison
  #term(): FilterExpr {
    this.#skip();
    if (this.#pos >= this.#text.length) this.#fail('expected a comparison such as name = "value"', true);
    const c = this.#peek();
    if (c === '(') {
      if (++this.#depth > MAX_DEPTH) this.#fail('too deeply nested');
      this.#pos++;
      const inner = this.#expression();
      this.#skip();
      if (this.#peek() !== ')') this.#fail("expected ')'", this.#pos >= this.#text.length);
      this.#pos++;
      this.#depth--;
      return inner;
    }
    if (c === '-') this.#fail("negation ('-') is not supported");
    if (this.#keywordAhead('NOT')) this.#fail('NOT is not supported');
    if (this.#keywordAhead('AND') || this.#keywordAhead('OR')) this.#fail('expected a comparison');
    return this.#comparison();
  }

  #comparison(): FilterExpr {
    const start = this.#pos;
    const field = this.#match(FIELD);
    if (field === undefined) this.#fail('expected a field name');
    this.#skip();
    if (this.#peek() === ':') this.#fail(`the ':' (has) operator is not supported (at '${field}')`);
    if (this.#peek() === '(') this.#fail(`functions are not supported (at '${field}')`);
    const op = this.#match(OPERATOR) as FilterOp | undefined;
    if (op === undefined) {
      this.#pos = start;
      this.#fail(`expected an operator (=, !=, <, <=, >, >=) after '${field}'`);
    }
    this.#skip();
    const value = this.#value();
    return { kind: 'cmp', field, op, value };
  }

  #value(): string {
    const q = this.#peek();
    if (q === '"' || q === "'") {
      let out = '';
      let i = this.#pos + 1;
      while (i < this.#text.length && this.#text[i] !== q) {
        if (this.#text[i] === '\\' && i + 1 < this.#text.length) i++;
        out += this.#text[i];
        i++;
      }
      if (i >= this.#text.length) this.#fail('unterminated quoted value', true);
      this.#pos = i + 1;
      return out;
    }
    let i = this.#pos;
    while (i < this.#text.length && !/[\s()"']/.test(this.#text[i]!)) i++;
    if (i === this.#pos) this.#fail('expected a value', this.#pos >= this.#text.length);
    const word = this.#text.slice(this.#pos, i);
    this.#pos = i;
    return word;
  }

  #keyword(word: 'AND' | 'OR'): boolean {
    if (!this.#keywordAhead(word)) return false;
    this.#skip();
    this.#pos += word.length;
    return true;
  }

  /** Whether the next word is `word` (any case) followed by a space, a parenthesis or a quote. */
  #keywordAhead(word: string): boolean {
    this.#skip();
    const next = this.#text.slice(this.#pos, this.#pos + word.length);
    if (next.toUpperCase() !== word) return false;
    const after = this.#text[this.#pos + word.length];
    return after === undefined || /[\s("']/.test(after);
  }

  #skip(): void {
    SPACE.lastIndex = this.#pos;
    SPACE.exec(this.#text);
    this.#pos = SPACE.lastIndex;
  }

  #peek(): string | undefined {
    return this.#text[this.#pos];
  }

  #match(re: RegExp): string | undefined {
    re.lastIndex = this.#pos;
    const m = re.exec(this.#text);
    if (!m) return undefined;
    this.#pos = re.lastIndex;
    return m[0];
  }

  #fail(what: string, atEnd = false): never {
    const near = this.#text.slice(this.#pos).trim().slice(0, 40);
    throw invalidArgument(`filter: ${what} ${atEnd || near === '' ? 'at the end' : `near '${near}'`}.`);
  }
}

/** Parses a filter; undefined when there is none. */
export function parseFilterExpr(text: unknown): FilterExpr | undefined {
  if (text === undefined) return undefined;
  if (Array.isArray(text)) throw invalidArgument('filter must be given once.');
  if (typeof text !== 'string') throw invalidArgument('filter must be a string.');
  if (text.length > MAX_FILTER_LENGTH) {
    throw invalidArgument(`filter is too long (more than ${MAX_FILTER_LENGTH} characters).`);
  }
  if (text.trim() === '') return undefined;
  return new Parser(text).parse();
}

/**
 * The filter as an OR of ANDs of comparisons (no filter: one empty branch, matching everything).
 * Expanding `(a OR b) AND (c OR d)` multiplies branches: more than MAX_FILTER_BRANCHES is refused.
 */
export function toDnf(expr: FilterExpr | undefined): Comparison[][] {
  if (expr === undefined) return [[]];
  const walk = (e: FilterExpr): Comparison[][] => {
    switch (e.kind) {
      case 'cmp':
        return [[{ field: e.field, op: e.op, value: e.value }]];
      case 'or':
        return e.parts.flatMap(walk);
      case 'and': {
        let acc: Comparison[][] = [[]];
        for (const part of e.parts) {
          const next: Comparison[][] = [];
          for (const left of acc) for (const right of walk(part)) next.push([...left, ...right]);
          if (next.length > MAX_FILTER_BRANCHES) tooComplex();
          acc = next;
        }
        return acc;
      }
    }
  };
  const out = walk(expr);
  if (out.length > MAX_FILTER_BRANCHES) tooComplex();
  return out;
}

function tooComplex(): never {
  throw invalidArgument(
    `filter: too many alternatives (more than ${MAX_FILTER_BRANCHES} once ORs are multiplied out); simplify it.`,
  );
}

/** Parses and normalises in one step. */
export function parseFilterDnf(text: unknown): Comparison[][] {
  return toDnf(parseFilterExpr(text));
}

/** A filter that may only AND comparisons together (for collections without OR support). */
export function parseFilter(text: unknown): Comparison[] {
  const dnf = parseFilterDnf(text);
  if (dnf.length !== 1)
    throw invalidArgument('filter: OR is not supported here; combine comparisons with AND.');
  return dnf[0]!;
}

/** Normalises snake_case / camelCase field names: `create_time` and `createTime` are the same field. */
export function fieldKey(field: string): string {
  return field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
