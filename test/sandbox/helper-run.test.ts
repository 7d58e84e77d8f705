// Sandbox commands started by the git helper processes (src/sandbox/helper-run.ts): the same results
// as when the server starts them itself, and no process left behind when a helper or the server dies.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runSandboxProcess } from '../../src/sandbox/helper-run.ts';
import { createSandbox, type RunRequest } from '../../src/sandbox/index.ts';
import { helperPids, setGitHelpers } from '../../src/workspace/git-helpers.ts';
import { removeTree } from '../../src/workspace/remove-tree.ts';
import { runUntilStarted, waitForFile, waitGone } from './proc.ts';

const sandbox = createSandbox('plain', { killGraceMs: 500 });
let cwd: string;

before(async () => {
  cwd = await realpath(await mkdtemp(join(tmpdir(), 'stint-helper-run-test-')));
});
after(async () => {
  setGitHelpers(2);
  await removeTree(cwd);
});

function run(command: string, extra: Partial<RunRequest> = {}) {
  return sandbox.run({ command, cwd, timeoutMs: 120_000, maxOutputBytes: 100_000, ...extra });
}

const FOREVER = 3600;
const readPid = async (file: string) => Number((await readFile(join(cwd, file), 'utf8')).trim());

for (const helpers of [2, 0]) {
  test(`helpers=${helpers}: who starts the command, its output streamed and limited, a timeout that kills a tree that left the group`, async () => {
    setGitHelpers(helpers);
    try {
      // The wrapper shell execs the command's shell: its parent is whoever spawned it.
      const parent = Number((await run('echo $PPID')).output.trim());
      if (helpers === 0) assert.equal(parent, process.pid);
      else assert.ok(helperPids().includes(parent), `parent ${parent} is not a helper (${helperPids()})`);

      const chunks: Buffer[] = [];
      const big = await run("head -c 5000 /dev/zero | tr '\\0' a; exit 3", {
        maxOutputBytes: 10,
        onOutput: (c) => chunks.push(c),
      });
      assert.equal(big.exitCode, 3);
      assert.equal(big.output, `${'a'.repeat(10)}\n[output truncated: 4990 bytes omitted]`);
      assert.equal(Buffer.concat(chunks).toString(), 'a'.repeat(5000));

      // A child in its own session is out of the process group: it is killed by pid.
      const r = await runUntilStarted(
        (timeoutMs) =>
          run(`setsid sh -c 'echo "child=$$"; exec sleep ${FOREVER}' & sleep 0.2; wait`, { timeoutMs }),
        (r) => /child=\d+/.test(r.output),
      );
      assert.equal(r.exitCode, 124);
      assert.equal(r.timedOut, true);
      const pid = Number(/child=(\d+)/.exec(r.output)?.[1]);
      assert.equal(await waitGone(pid, 30_000), true, `child ${pid} survived the timeout`);

      // Aborted before it was asked: the command is killed at once and says so (no shell: a shell
      // killed after it started its child may print 'Terminated').
      const pre = await runSandboxProcess({
        file: '/bin/sleep',
        args: [String(FOREVER)],
        cwd,
        env: {},
        timeoutMs: 120_000,
        maxOutputBytes: 100,
        signal: AbortSignal.abort(),
        graceMs: 500,
        describe: 'sleep',
      });
      assert.deepEqual(
        { ...pre, durationMs: 0 },
        { exitCode: 130, output: '', timedOut: false, aborted: true, durationMs: 0 },
      );

      // A program that cannot be spawned rejects, as it did in the server.
      await assert.rejects(
        runSandboxProcess({
          file: join(cwd, 'no-such-program'),
          args: [],
          cwd,
          env: {},
          timeoutMs: 1000,
          maxOutputBytes: 100,
          graceMs: 500,
          describe: 'nothing',
        }),
        /Sandbox could not start nothing: spawn .*ENOENT/,
      );
    } finally {
      setGitHelpers(2);
    }
  });
}

test('a helper that dies mid-run fails the run, its command tree is killed, the next run gets a new helper', async () => {
  const running = run(
    `echo $PPID > dies-helper.pid; echo $$ > dies-sh.pid; sleep ${FOREVER} & echo $! > dies-child.pid; wait`,
  );
  await waitForFile(join(cwd, 'dies-child.pid'));
  const helper = await readPid('dies-helper.pid');
  assert.ok(helperPids().includes(helper));
  process.kill(helper, 'SIGKILL');
  await assert.rejects(running, /Sandbox lost \/bin\/sh in .*: the git helper exited \(SIGKILL\)/);
  for (const file of ['dies-sh.pid', 'dies-child.pid']) {
    const pid = await readPid(file);
    assert.equal(await waitGone(pid, 30_000), true, `${file}: ${pid} survived its helper`);
  }
  const again = Number((await run('echo $PPID')).output.trim());
  assert.notEqual(again, helper);
  assert.ok(helperPids().includes(again));
});

test('helpers that cannot start hand the command back: it is spawned in this process', async () => {
  try {
    setGitHelpers(2, new URL(`file://${join(cwd, 'no-such-helper.js')}`));
    const runs = await Promise.all([run('echo $PPID'), run('echo $PPID')]);
    for (const r of runs) assert.equal(Number(r.output.trim()), process.pid);
  } finally {
    setGitHelpers(2);
  }
});

test('a server that dies takes the commands its helpers run with it', async () => {
  const index = pathToFileURL(resolve(import.meta.dirname, '../../src/sandbox/index.ts')).href;
  const script = `
    const { createSandbox } = await import(${JSON.stringify(index)});
    await createSandbox('plain').run({
      command: 'sleep ${FOREVER} & echo $! > server-child.pid; wait',
      cwd: ${JSON.stringify(cwd)}, timeoutMs: 600000, maxOutputBytes: 100,
    });`;
  const server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  try {
    await waitForFile(join(cwd, 'server-child.pid'));
    const child = await readPid('server-child.pid');
    server.kill('SIGKILL');
    assert.equal(await waitGone(child, 30_000), true, `${child} survived the server`);
  } finally {
    server.kill('SIGKILL');
  }
});
