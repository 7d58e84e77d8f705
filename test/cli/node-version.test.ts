/**
 * Started on the machine's old Node (/usr/bin/node, v20 here), every entry point says in one line
 * which Node it needs instead of crashing in a native module: the built dist/cli/main.js (its check
 * runs before the program is imported: here the program is not even there) and bin/stint.cjs when
 * the pinned `node` package is missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../src/cli/node-version.ts';
import { makeTempDir } from '../support/server.ts';

const OLD_NODE = '/usr/bin/node';
const root = join(import.meta.dirname, '../..');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function oldNodeMajor(): Promise<number | undefined> {
  if (!existsSync(OLD_NODE)) return undefined;
  const { stdout } = await promisify(execFile)(OLD_NODE, ['--version']);
  return Number(stdout.trim().replace(/^v/, '').split('.')[0]);
}

/** Runs `script` on the old Node; resolves with its exit code and output (it must exit by itself). */
function runOld(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(OLD_NODE, [script, '--version'], { timeout: 200_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

test('the minimum is the one package.json declares', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.engines.node, `>=${MIN_NODE_MAJOR}`);
  assert.equal(nodeVersionProblem('24.11.0'), undefined);
  assert.equal(nodeVersionProblem('25.0.0'), undefined);
  assert.match(
    nodeVersionProblem('22.12.0') ?? '',
    /needs Node\.js 24 or later, but this is Node\.js 22\.12\.0/,
  );
});

test('dist/cli/main.js on an old Node prints which Node it needs, before loading the program', async (t) => {
  const major = await oldNodeMajor();
  if (major === undefined || major >= MIN_NODE_MAJOR)
    return t.skip(`no Node older than ${MIN_NODE_MAJOR} at ${OLD_NODE}`);
  // The entry as tsc builds it, alone: were anything besides the check loaded first, it would fail
  // on the missing program instead.
  const dir = makeTempDir('stint-node-version-');
  dirs.push(dir);
  const cli = join(dir, 'dist/cli');
  mkdirSync(cli, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const options = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions;
  const { options: compilerOptions } = ts.convertCompilerOptionsFromJson(options, root);
  for (const name of ['main', 'node-version']) {
    const source = readFileSync(join(root, `src/cli/${name}.ts`), 'utf8');
    writeFileSync(
      join(cli, `${name}.js`),
      ts.transpileModule(source, { compilerOptions: { ...compilerOptions, module: ts.ModuleKind.ESNext } })
        .outputText,
    );
  }
  assert.match(readFileSync(join(cli, 'main.js'), 'utf8'), /import\(["']\.\/program\.js["']\)/);
  const run = await runOld(join(cli, 'main.js'));
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(
    lines[0]!,
    new RegExp(`^stint: needs Node\\.js ${MIN_NODE_MAJOR} or later, but this is Node\\.js ${major}\\.`),
  );
});

test('bin/stint.cjs on an old Node without the pinned node package says what it needs', async (t) => {
  const major = await oldNodeMajor();
  if (major === undefined || major >= MIN_NODE_MAJOR)
    return t.skip(`no Node older than ${MIN_NODE_MAJOR} at ${OLD_NODE}`);
  const dir = makeTempDir('stint-node-version-bin-');
  dirs.push(dir);
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(root, 'bin/stint.cjs'), join(dir, 'bin/stint.cjs'));
  const run = await runOld(join(dir, 'bin/stint.cjs'));
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    `stint: needs Node.js ${MIN_NODE_MAJOR} or later (the pinned \`node\` package is missing; run npm install).\n`,
  );
});
