/** The diff view's parser, against real `git diff` output. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { diffTotals, parseUnifiedDiff, unquotePath } from '../../src/web/diff/parse-unified-diff.ts';
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
