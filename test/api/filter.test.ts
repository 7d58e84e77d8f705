// The AIP-160 filter parser: properties over generated filters (fast-check) and the cases clients send.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Comparison,
  type FilterExpr,
  type FilterOp,
  MAX_FILTER_BRANCHES,
  MAX_FILTER_LENGTH,
  parseFilterExpr,
  toDnf,
} from '../../src/api/filter.ts';
import { sessionFilterBranches } from '../../src/api/session-filter.ts';
import { sourceFilterNames } from '../../src/api/sources.ts';
import { StintError } from '../../src/domain/errors.ts';

const FIELDS = ['name', 'state', 'create_time', 'sourceContext.source'] as const;
const OPS: FilterOp[] = ['=', '!=', '>', '>=', '<', '<='];
type Rec = Record<string, string>;

function evalCmp(c: Comparison, r: Rec): boolean {
  const v = r[c.field] ?? '';
  switch (c.op) {
    case '=':
      return v === c.value;
    case '!=':
      return v !== c.value;
    case '>':
      return v > c.value;
    case '>=':
      return v >= c.value;
    case '<':
      return v < c.value;
    case '<=':
      return v <= c.value;
  }
}
function evalExpr(e: FilterExpr, r: Rec): boolean {
  if (e.kind === 'cmp') return evalCmp(e, r);
  if (e.kind === 'and') return e.parts.every((p) => evalExpr(p, r));
  return e.parts.some((p) => evalExpr(p, r));
}
const evalDnf = (d: Comparison[][], r: Rec) => d.some((conj) => conj.every((c) => evalCmp(c, r)));

const VALUES = [
  'a',
  'b',
  'sources/github/acme/widgets',
  '2026-01-02T03:04:05.000006Z',
  'two words',
  'q"uote',
  '(x)',
  'AND',
  'or',
];
const valueArb = fc.constantFrom(...VALUES);
const cmpArb: fc.Arbitrary<FilterExpr> = fc.record({
  kind: fc.constant('cmp' as const),
  field: fc.constantFrom(...FIELDS),
  op: fc.constantFrom(...OPS),
  value: valueArb,
});
const exprArb: fc.Arbitrary<FilterExpr> = fc.letrec<{ e: FilterExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cmpArb,
    fc.record({
      kind: fc.constant('and' as const),
      parts: fc.array(tie('e'), { minLength: 2, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('or' as const),
      parts: fc.array(tie('e'), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).e;

interface Style {
  space: string[];
  quote: boolean[];
  lower: boolean[];
  parens: boolean[];
}
/** Prints an expression as a client might: random spaces, quoting, keyword case and extra parentheses. */
function print(e: FilterExpr, st: Style, i = { n: 0 }): string {
  const pick = <T>(xs: T[]) => xs[i.n++ % xs.length]!;
  const sp = () => pick(st.space);
  if (e.kind === 'cmp') {
    const bare = /^[^\s()"']+$/.test(e.value) && !/^(and|or|not)$/i.test(e.value);
    const v = bare && !pick(st.quote) ? e.value : `"${e.value.replace(/["\\]/g, '\\$&')}"`;
    return `${e.field}${sp()}${e.op}${sp()}${v}`;
  }
  const kw = e.kind === 'and' ? 'AND' : 'OR';
  const word = pick(st.lower) ? kw.toLowerCase() : kw;
  const parts = e.parts.map((p) => {
    const inner = print(p, st, i);
    // OR binds tighter than AND: an AND inside an OR needs parentheses; anything may have them.
    const needs = p.kind !== 'cmp' && (e.kind === 'or' || p.kind === e.kind);
    return needs || pick(st.parens) ? `(${sp()}${inner}${sp()})` : inner;
  });
  return parts.join(` ${sp()}${word} ${sp()}`);
}
const styleArb = fc.record({
  space: fc.array(fc.constantFrom('', ' ', '  ', '\t'), { minLength: 1, maxLength: 5 }),
  quote: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  lower: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  parens: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
});
const recArb = fc.record(
  Object.fromEntries(FIELDS.map((f) => [f, valueArb])) as Record<string, fc.Arbitrary<string>>,
);

describe('AIP-160 filter parser', () => {
  test('a printed filter parses back to an expression with the same meaning', () => {
    fc.assert(
      fc.property(exprArb, styleArb, fc.array(recArb, { minLength: 1, maxLength: 8 }), (e, st, recs) => {
        const text = print(e, st);
        if (text.length > MAX_FILTER_LENGTH) {
          // A generated filter can outgrow the length bound: it must then be refused as the client's error.
          assert.throws(
            () => parseFilterExpr(text),
            (err) => err instanceof StintError && err.status === 'INVALID_ARGUMENT',
          );
          return;
        }
        const parsed = parseFilterExpr(text);
        assert.ok(parsed, text);
        for (const r of recs)
          assert.equal(evalExpr(parsed, r), evalExpr(e, r), `${text} on ${JSON.stringify(r)}`);
      }),
      { numRuns: 400 },
    );
  });

  test('the normal form means the same as the expression, or is refused as too complex', () => {
    fc.assert(
      fc.property(exprArb, fc.array(recArb, { minLength: 1, maxLength: 8 }), (e, recs) => {
        let dnf: Comparison[][];
        try {
          dnf = toDnf(e);
        } catch (err) {
          assert.ok(err instanceof StintError && err.status === 'INVALID_ARGUMENT', String(err));
          return;
        }
        assert.ok(dnf.length <= MAX_FILTER_BRANCHES);
        for (const r of recs) assert.equal(evalDnf(dnf, r), evalExpr(e, r));
      }),
      { numRuns: 400 },
    );
  });

  test('any text either parses or is INVALID_ARGUMENT (never another error)', () => {
    const alphabet = fc.constantFrom(...'ab_=!<>:()"\'\\ -ANDORNOT.'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 })), (text) => {
        try {
          parseFilterExpr(text);
        } catch (err) {
          assert.ok(err instanceof StintError && err.status === 'INVALID_ARGUMENT', String(err));
          assert.match(err.message, /^filter/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('OR binds tighter than AND; parentheses regroup', () => {
    const e = parseFilterExpr('a = 1 AND b = 2 OR b = 3')!;
    assert.equal(e.kind, 'and');
    const g = parseFilterExpr('(a = 1 AND b = 2) OR b = 3')!;
    assert.equal(g.kind, 'or');
  });

  test('spaces, quotes and keyword case as clients send them', () => {
    const cmp = (t: string) => toDnf(parseFilterExpr(t));
    const ts = '2026-11-24T16:20:03.123456Z';
    for (const t of [
      `create_time>"${ts}"`,
      `create_time > "${ts}"`,
      `create_time>${ts}`,
      `create_time >  '${ts}'`,
    ]) {
      assert.deepEqual(cmp(t), [[{ field: 'create_time', op: '>', value: ts }]], t);
    }
    assert.deepEqual(cmp('name=sources/a/b/c or name="sources/x/y/z"'), [
      [{ field: 'name', op: '=', value: 'sources/a/b/c' }],
      [{ field: 'name', op: '=', value: 'sources/x/y/z' }],
    ]);
    assert.deepEqual(cmp('name = "say \\"hi\\""'), [[{ field: 'name', op: '=', value: 'say "hi"' }]]);
  });

  test('what is not supported is named in a 400', () => {
    const cases: Array<[string, RegExp]> = [
      ['NOT state = FAILED', /NOT is not supported/],
      ['-state = FAILED', /negation/],
      ['name:foo', /has\) operator/],
      ['startsWith(name, "a")', /functions are not supported/],
      ['a = 1 b = 2', /expected AND or OR/],
      ['(a = 1', /expected '\)'/],
      ['a = 1)', /unbalanced/],
      ['a = "x', /unterminated/],
      ['a =', /expected a value/],
      ['a', /expected an operator/],
      ['a = 1 AND', /expected a comparison/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseFilterExpr(text),
        (e: unknown) => e instanceof StintError && e.status === 'INVALID_ARGUMENT' && re.test(e.message),
        text,
      );
    }
    assert.throws(() => parseFilterExpr('x'.repeat(1001)), /too long/);
  });

  test('sources: OR of names, quoted or not; other fields are refused', () => {
    assert.deepEqual(sourceFilterNames('name=sources/github/a/b OR name="sources/gitlab/x/y"'), [
      'github/a/b',
      'gitlab/x/y',
    ]);
    assert.deepEqual(sourceFilterNames('name=sources/github/a/b AND name=sources/github/x/y'), []);
    assert.deepEqual(sourceFilterNames('(name = sources/github/a/b)'), ['github/a/b']);
    assert.equal(sourceFilterNames(''), undefined);
    assert.throws(() => sourceFilterNames('owner = acme'), /unknown field 'owner'/);
    assert.throws(() => sourceFilterNames('name != sources/github/a/b'), /only =/);
  });

  test('sessions: branches per (archived, state, source); state != expands; STATE_UNSPECIFIED matches nothing', () => {
    assert.deepEqual(sessionFilterBranches(undefined), [{ archived: false }]);
    assert.deepEqual(sessionFilterBranches('archived = true'), [{ archived: true }]);
    assert.deepEqual(sessionFilterBranches('state = COMPLETED OR state = "FAILED"'), [
      { archived: false, state: 'COMPLETED' },
      { archived: false, state: 'FAILED' },
    ]);
    assert.equal(sessionFilterBranches('state != QUEUED').length, 7);
    assert.deepEqual(sessionFilterBranches('state = STATE_UNSPECIFIED'), []);
    assert.deepEqual(sessionFilterBranches('state = QUEUED AND state = FAILED'), []);
    assert.throws(() => sessionFilterBranches('state = DONE'), /unknown state 'DONE'/);
    assert.throws(() => sessionFilterBranches('title = x'), /unknown field 'title'/);
  });
});
