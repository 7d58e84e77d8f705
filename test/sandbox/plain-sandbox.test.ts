import assert from 'node:assert/strict';
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createSandbox, type RunRequest } from '../../src/sandbox/index.ts';
import { removeTree } from '../../src/workspace/remove-tree.ts';
import { isAlive, runUntilStarted, waitForFile, waitGone } from './proc.ts';

const sandbox = createSandbox('plain', { killGraceMs: 500 });
let cwd: string;

before(async () => {
  cwd = await realpath(await mkdtemp(join(tmpdir(), 'stint-sandbox-test-')));
});
after(() => removeTree(cwd));

// Timeouts here bound a hang (a busy machine can be slow to start a shell); the tests of the timeout
// itself give their own.
function run(command: string, extra: Partial<RunRequest> = {}) {
  return sandbox.run({ command, cwd, timeoutMs: 120_000, maxOutputBytes: 100_000, ...extra });
}

// Killing must not wait for children: they sleep far longer than the test may run (its timeout fails it).
const FOREVER = 3600;

test('kind and a successful command', async () => {
  assert.equal(sandbox.kind, 'plain');
  const r = await run('echo hello; pwd');
  assert.equal(r.exitCode, 0);
  assert.equal(r.output, `hello\n${cwd}\n`);
  assert.equal(r.timedOut, false);
  assert.equal(r.aborted, false);
  assert.ok(r.durationMs >= 0);
});

test('exit codes: plain, command not found, killed by a signal', async () => {
  assert.equal((await run('exit 3')).exitCode, 3);
  assert.equal((await run('false')).exitCode, 1);
  const missing = await run('definitely-not-a-command-xyz');
  assert.equal(missing.exitCode, 127);
  assert.match(missing.output, /not found/);
  assert.equal((await run('kill -TERM $$')).exitCode, 143);
  assert.equal((await run('kill -KILL $$')).exitCode, 137);
});

test('stdout and stderr are interleaved in order', async () => {
  const r = await run('echo out1; echo err1 >&2; echo out2; echo err2 1>&2; exit 0');
  assert.equal(r.output, 'out1\nerr1\nout2\nerr2\n');
});

test('output beyond maxOutputBytes is truncated with a note', async () => {
  const r = await run("head -c 5000 /dev/zero | tr '\\0' a", { maxOutputBytes: 100 });
  assert.equal(r.exitCode, 0);
  assert.equal(r.output, `${'a'.repeat(100)}\n[output truncated: 4900 bytes omitted]`);
  const exact = await run("printf 'abc'", { maxOutputBytes: 3 });
  assert.equal(exact.output, 'abc');
  // A cut never splits a UTF-8 character.
  const utf = await run("printf 'ééé'", { maxOutputBytes: 3 });
  assert.equal(utf.output, 'é\n[output truncated: 4 bytes omitted]');
});

test('stdin is closed (reads see end of file)', async () => {
  const r = await run('cat; echo "rc=$?"');
  assert.equal(r.output, 'rc=0\n');
  assert.equal(r.timedOut, false);
});

test('timeout kills the whole process group, children included', async () => {
  const r = await runUntilStarted(
    (timeoutMs) => run(`sleep ${FOREVER} & echo "child=$!"; wait`, { timeoutMs }),
    (r) => /child=\d+/.test(r.output),
  );
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, 124);
  const pid = Number(/child=(\d+)/.exec(r.output)?.[1]);
  assert.ok(pid > 0, r.output);
  assert.equal(await waitGone(pid, 30_000), true, `child ${pid} survived the timeout`);
});

test('a child that ignores SIGTERM is SIGKILLed after the grace period', async () => {
  const r = await runUntilStarted(
    (timeoutMs) =>
      run('sh -c \'trap "" TERM; echo "child=$$"; while :; do sleep 0.05; done\' & wait', { timeoutMs }),
    (r) => /child=\d+/.test(r.output),
  );
  assert.equal(r.exitCode, 124);
  const pid = Number(/child=(\d+)/.exec(r.output)?.[1]);
  assert.ok(pid > 0, r.output);
  assert.equal(await waitGone(pid, 30_000), true, `child ${pid} survived SIGKILL`);
});

test('background processes left behind do not hold the result and are killed', async () => {
  const r = await run(`sleep ${FOREVER} & echo "child=$!"`);
  assert.equal(r.exitCode, 0);
  const pid = Number(/child=(\d+)/.exec(r.output)?.[1]);
  assert.ok(pid > 0, r.output);
  assert.equal(await waitGone(pid, 30_000), true);
});

test('abort via AbortSignal kills the command', async () => {
  const controller = new AbortController();
  // Abort once the child is running (it wrote its pid), not after a guess at how long that takes.
  const pidFile = join(cwd, 'abort-child.pid');
  const running = run(`sleep ${FOREVER} & echo "child=$!"; echo $! > abort-child.pid; wait`, {
    signal: controller.signal,
  });
  await waitForFile(pidFile);
  controller.abort();
  const r = await running;
  assert.equal(r.aborted, true);
  assert.equal(r.timedOut, false);
  assert.equal(r.exitCode, 130);
  const pid = Number(/child=(\d+)/.exec(r.output)?.[1]);
  assert.ok(pid > 0, r.output);
  assert.equal(await isAlive(pid).then((alive) => (alive ? waitGone(pid, 30_000) : true)), true);

  const pre = await run('echo should-not-run', { signal: AbortSignal.abort() });
  assert.deepEqual(
    { ...pre, durationMs: 0 },
    { exitCode: 130, output: '', timedOut: false, aborted: true, durationMs: 0 },
  );
});

test("the server's environment is not visible; req.env is", async () => {
  process.env['STINT_TEST_SECRET'] = 'top-secret';
  try {
    const r = await run(
      'echo "secret=[$STINT_TEST_SECRET] home=$HOME lang=$LANG term=$TERM extra=$EXTRA"; env',
      {
        env: { EXTRA: 'yes' },
      },
    );
    assert.match(r.output, new RegExp(`^secret=\\[\\] home=${cwd} lang=C.UTF-8 term=dumb extra=yes\n`));
    assert.ok(!r.output.includes('top-secret'));
    const names = r.output
      .split('\n')
      .slice(1)
      .filter((l) => l.includes('='))
      .map((l) => l.slice(0, l.indexOf('=')))
      .sort();
    // sh itself adds PWD (and possibly SHLVL / OLDPWD / _).
    const allowed = new Set(['EXTRA', 'HOME', 'LANG', 'PATH', 'TERM', 'PWD', 'SHLVL', 'OLDPWD', '_']);
    assert.deepEqual(
      names.filter((n) => !allowed.has(n)),
      [],
    );
  } finally {
    delete process.env['STINT_TEST_SECRET'];
  }
});

test('a missing working directory rejects with a clear error', async () => {
  await assert.rejects(run('true', { cwd: join(cwd, 'nope') }), /working directory does not exist/);
});
