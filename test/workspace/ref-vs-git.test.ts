// isSafeRefName must never accept a name git itself rejects.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import fc from 'fast-check';
import { runGit } from '../../src/workspace/git.ts';
import { isSafeRefName } from '../../src/workspace/refs.ts';

async function gitAccepts(name: string): Promise<boolean> {
  try {
    await runGit(['check-ref-format', '--branch', name], { cwd: tmpdir(), timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

// ('@' is left out: `--branch @` expands it to the current branch; isSafeRefName rejects it.)
test('names git rejects are rejected; plain names agree with git', async () => {
  const cases = [
    'main',
    'feature/x',
    'v1.2',
    '../x',
    'a..b',
    'a@{1}',
    'x.lock',
    'a b',
    'a:b',
    '-x',
    '.x',
    'a//b',
    'x/',
    'x.',
  ];
  for (const name of cases) {
    assert.equal(isSafeRefName(name), await gitAccepts(name), JSON.stringify(name));
  }
});

test('property: whatever isSafeRefName accepts, git check-ref-format accepts', async () => {
  const alphabet = fc.constantFrom(
    'a',
    'b',
    '/',
    '.',
    '-',
    '@',
    '{',
    '}',
    'l',
    'o',
    'c',
    'k',
    '~',
    ' ',
    '\\',
    '*',
    'é',
  );
  await fc.assert(
    fc.asyncProperty(fc.array(alphabet, { minLength: 1, maxLength: 12 }), async (chars) => {
      const name = chars.join('');
      if (isSafeRefName(name)) assert.equal(await gitAccepts(name), true, JSON.stringify(name));
    }),
    { numRuns: 150 },
  );
});
