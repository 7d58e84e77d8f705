/** The diff view's parser, against real `git diff` output. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { diffStat } from '../../src/cli/client/diff.ts';
import {
  diffTotals,
  parseUnifiedDiff,
  splitUnifiedDiff,
  unquotePath,
} from '../../src/domain/unified-diff.ts';
import { git } from '../support/git-fixtures.ts';
import { makeTempDir } from '../support/server.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A repository where every kind of change happens at once; returns `git diff --binary` of it. */
function realPatch(): string {
  const dir = makeTempDir('stint-diff-');
  dirs.push(dir);
  git(dir, 'init', '-q');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/app.txt'), 'one\n-- two\nthree\n');
  writeFileSync(join(dir, 'old name.txt'), 'a\nb\nc\nd\ne\nf\ng\nh\n');
  writeFileSync(join(dir, 'gone.txt'), 'bye\n');
  writeFileSync(join(dir, 'run.sh'), 'echo hi\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'base');
  writeFileSync(join(dir, 'src/app.txt'), 'one\n++ two\nthree');
  execFileSync('git', ['mv', 'old name.txt', 'new name.txt'], { cwd: dir });
  writeFileSync(join(dir, 'new name.txt'), 'a\nb\nc\nd\ne\nf\ng\nH\n');
  unlinkSync(join(dir, 'gone.txt'));
  chmodSync(join(dir, 'run.sh'), 0o755);
  writeFileSync(join(dir, 'café.txt'), 'crème\n');
  writeFileSync(join(dir, 'logo.bin'), Buffer.from([0, 1, 2, 3, 255, 0, 7]));
  git(dir, 'add', '-A');
  return git(dir, '-c', 'core.quotePath=true', 'diff', '--cached', '--binary', '-M', 'HEAD');
}

test('parses every kind of change git produces, with +/− counts per file', () => {
  const files = parseUnifiedDiff(realPatch());
  const byPath = new Map(files.map((f) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), [
    'café.txt',
    'gone.txt',
    'logo.bin',
    'new name.txt',
    'run.sh',
    'src/app.txt',
  ]);

  const app = byPath.get('src/app.txt')!;
  assert.equal(app.status, 'modified');
  assert.equal(app.additions, 2);
  assert.equal(app.deletions, 2);
  const lines = app.hunks[0]!.lines;
  assert.deepEqual(
    lines.map((l) => [l.kind, l.text]),
    [
      ['context', 'one'],
      ['del', '-- two'],
      ['del', 'three'],
      ['add', '++ two'],
      ['add', 'three'],
      ['note', 'No newline at end of file'],
    ],
  );
  assert.equal(lines[0]!.oldNo, 1);
  assert.equal(lines[0]!.newNo, 1);
  assert.equal(lines[4]!.newNo, 3);

  const renamed = byPath.get('new name.txt')!;
  assert.equal(renamed.status, 'renamed');
  assert.equal(renamed.oldPath, 'old name.txt');
  assert.equal(renamed.additions, 1);
  assert.equal(renamed.deletions, 1);

  assert.equal(byPath.get('gone.txt')!.status, 'deleted');
  assert.equal(byPath.get('gone.txt')!.deletions, 1);
  assert.equal(byPath.get('café.txt')!.status, 'added');
  assert.equal(byPath.get('logo.bin')!.binary, true);
  assert.equal(byPath.get('logo.bin')!.additions, 0);
  const mode = byPath.get('run.sh')!;
  assert.equal(mode.oldMode, '100644');
  assert.equal(mode.newMode, '100755');
  assert.equal(mode.hunks.length, 0);

  assert.deepEqual(diffTotals(files), { files: 6, additions: 4, deletions: 4 });
});

test('hunk counts decide where a hunk ends, so header-like content stays content', () => {
  const patch = [
    'diff --git a/x.md b/x.md',
    '--- a/x.md',
    '+++ b/x.md',
    '@@ -1,2 +1,2 @@',
    '--- a/not-a-header',
    '+diff --git a/fake b/fake',
    ' kept',
    '',
  ].join('\n');
  const [f] = parseUnifiedDiff(patch);
  assert.equal(parseUnifiedDiff(patch).length, 1);
  assert.equal(f!.additions, 1);
  assert.equal(f!.deletions, 1);
  assert.deepEqual(
    f!.hunks[0]!.lines.map((l) => l.text),
    ['-- a/not-a-header', 'diff --git a/fake b/fake', 'kept'],
  );
});

test('empty and quoted inputs', () => {
  assert.deepEqual(parseUnifiedDiff(''), []);
  assert.equal(unquotePath('"caf\\303\\251 \\"x\\".txt"'), 'café "x".txt');
  assert.equal(unquotePath('plain.txt'), 'plain.txt');
});

/** Names git C-quotes (a tab, a quote, a backslash, non-ASCII), changed in every way that has no hunk. */
function quotedPatch(): string {
  const dir = makeTempDir('stint-diff-quoted-');
  dirs.push(dir);
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'with space\t.txt'), 'one\n');
  writeFileSync(join(dir, 'mode "q".sh'), 'echo\n');
  writeFileSync(join(dir, 'mode plain.sh'), 'echo\n');
  writeFileSync(join(dir, 'to move\\x.txt'), 'a\nb\nc\nd\ne\nf\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'base');
  writeFileSync(join(dir, 'with space\t.txt'), 'one\ntwo\n');
  chmodSync(join(dir, 'mode "q".sh'), 0o755);
  chmodSync(join(dir, 'mode plain.sh'), 0o755);
  execFileSync('git', ['mv', 'to move\\x.txt', 'moved\tø.txt'], { cwd: dir });
  writeFileSync(join(dir, 'bin\tø.bin'), Buffer.from([0, 1, 2, 0, 255]));
  git(dir, 'add', '-A');
  return git(dir, '-c', 'core.quotePath=true', 'diff', '--cached', '--binary', '-M', 'HEAD');
}

test('quoted and C-escaped paths: renames, binary files and mode changes keep their real names', () => {
  const patch = quotedPatch();
  assert.match(patch, /^diff --git "a\/with space\\t.txt" "b\/with space\\t.txt"$/m);
  const byPath = new Map(parseUnifiedDiff(patch).map((f) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), [
    'bin\tø.bin',
    'mode "q".sh',
    'mode plain.sh',
    'moved\tø.txt',
    'with space\t.txt',
  ]);
  const edited = byPath.get('with space\t.txt')!;
  assert.deepEqual([edited.status, edited.additions, edited.deletions], ['modified', 1, 0]);
  const moved = byPath.get('moved\tø.txt')!;
  assert.deepEqual([moved.status, moved.oldPath, moved.similarity], ['renamed', 'to move\\x.txt', 100]);
  assert.equal(moved.hunks.length, 0);
  const binary = byPath.get('bin\tø.bin')!;
  assert.deepEqual([binary.status, binary.binary, binary.oldPath], ['added', true, undefined]);
  for (const name of ['mode "q".sh', 'mode plain.sh']) {
    const mode = byPath.get(name)!;
    assert.deepEqual(
      [mode.status, mode.oldPath, mode.oldMode, mode.newMode],
      ['modified', name, '100644', '100755'],
    );
  }
});

test('header paths: one side quoted, unquoted spaces, and C escapes outside UTF-8', () => {
  const header = (line: string) => {
    const [f] = parseUnifiedDiff(`diff --git ${line}\nold mode 100644\nnew mode 100755\n`);
    return [f!.oldPath, f!.newPath];
  };
  assert.deepEqual(header('a/x "b/y\\tz"'), ['x', 'y\tz']);
  assert.deepEqual(header('"a/y\\tz" b/x'), ['y\tz', 'x']);
  assert.deepEqual(header('a/two words.txt b/two words.txt'), ['two words.txt', 'two words.txt']);
  assert.deepEqual(header('a/p q b/r s'), ['p q', 'r s']);
  assert.deepEqual(header('"a/\\a\\b\\f\\v\\r\\n\\\\" "b/\\342\\202\\254"'), ['\x07\b\f\v\r\n\\', '€']);
});

test('the sections of a patch are its files, their texts the patch again', () => {
  const patch = quotedPatch();
  const sections = splitUnifiedDiff(patch);
  assert.equal(sections.length, 5);
  assert.equal(sections.map((s) => s.text).join(''), patch);
  for (const s of sections) assert.match(s.text, /^diff --git /);
  assert.equal(
    splitUnifiedDiff('preamble\ndiff --git a/x b/x\nold mode 1\nnew mode 2').at(0)?.text,
    'diff --git a/x b/x\nold mode 1\nnew mode 2',
  );
});

test('the CLI summary reads the same files as the web view', () => {
  const patch = quotedPatch();
  assert.deepEqual(
    diffStat(patch)
      .map((f) => [f.status, f.path, f.added, f.removed, f.binary])
      .sort(),
    [
      ['A', 'bin\tø.bin', 0, 0, true],
      ['M', 'mode "q".sh', 0, 0, false],
      ['M', 'mode plain.sh', 0, 0, false],
      ['M', 'with space\t.txt', 1, 0, false],
      ['R', 'moved\tø.txt', 0, 0, false],
    ].sort(),
  );
});
