/** The bubblewrap sandbox: the same command semantics as the plain one, plus isolation from the host. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, realpath } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type RunRequest, type Sandbox } from '../../src/sandbox/index.ts';
import { removeTree } from '../../src/workspace/remove-tree.ts';
import { bubblewrapGate } from '../support/sandbox-probe.ts';
import { nodeDir, tcpClientCommand } from '../support/tcp-client.ts';
import { runUntilStarted, waitForFile } from './proc.ts';

// Fails (does not skip) where bwrap cannot build a sandbox, unless STINT_TEST_ALLOW_NO_SANDBOX=1.
const gate = await bubblewrapGate();
const { probe, skip } = gate;

/** Pids of host processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(marker) && state !== 'Z' && state !== 'X') found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitNoProcesses(marker: string, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = processesWith(marker);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = processesWith(marker);
  }
  return left;
}

/** A unique `sleep` argument, so the test can find the process on the host. */
const sleepMarker = () => `9${randomBytes(3).readUIntBE(0, 3)}.${randomBytes(2).readUInt16BE(0)}`;

describe('bubblewrap sandbox', { skip }, () => {
  let sandbox: Sandbox;
  let base: string;
  let checkout: string;
  let outside: string;
  const secretText = `outside-${randomBytes(8).toString('hex')}`;

  before(async () => {
    gate.require();
    if (!probe.ok) return;
    sandbox = createSandbox('bubblewrap', {
      bwrapPath: probe.path,
      features: probe.features,
      killGraceMs: 500,
      tmpBytes: 16 * 1024 * 1024,
    });
    base = await realpath(await mkdtemp(join(tmpdir(), 'stint-bwrap-test-')));
    checkout = join(base, 'checkout');
    outside = join(base, 'outside');
    mkdirSync(checkout);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), secretText);
    writeFileSync(join(checkout, 'inside.txt'), 'inside\n');
  });
  after(() => (base ? removeTree(base) : undefined));

  // The timeout bounds a hang (a busy machine can be slow to start bwrap); the tests of the timeout
  // itself give their own.
  const run = (command: string, extra: Partial<RunRequest> = {}) =>
    sandbox.run({ command, cwd: checkout, timeoutMs: 120_000, maxOutputBytes: 100_000, ...extra });

  test('kind, output order, exit codes, truncation', async () => {
    assert.equal(sandbox.kind, 'bubblewrap');
    const r = await run('echo out1; echo err1 >&2; echo out2; pwd; cat inside.txt');
    assert.equal(r.exitCode, 0, r.output);
    assert.equal(r.output, `out1\nerr1\nout2\n${checkout}\ninside\n`);
    assert.equal((await run('exit 3')).exitCode, 3);
    assert.equal((await run('definitely-not-a-command-xyz')).exitCode, 127);
    assert.equal((await run('kill -TERM $$')).exitCode, 143);
    const big = await run("head -c 5000 /dev/zero | tr '\\0' a", { maxOutputBytes: 100 });
    assert.equal(big.output, `${'a'.repeat(100)}\n[output truncated: 4900 bytes omitted]`);
  });

  test('cannot read a file outside the checkout, by path or through a symlink', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(checkout, 'link-to-secret'));
    const r = await run(
      `cat ${join(outside, 'secret.txt')}; cat link-to-secret; cat ../outside/secret.txt; ls ${base}; ls /tmp`,
    );
    assert.ok(!r.output.includes(secretText), r.output);
    assert.match(r.output, /No such file or directory/);
  });

  test("the server's data and home directories are not visible", async () => {
    const r = await run('ls -d /root /home /var/lib /srv /work 2>&1; cat /etc/shadow 2>&1');
    assert.doesNotMatch(r.output, /^\/(root|home|srv|work)$/m);
    assert.doesNotMatch(r.output, /root:/);
  });

  test('cannot write outside the checkout; can write inside it', async () => {
    const marker = randomBytes(6).toString('hex');
    const r = await run(
      [
        `echo ${marker} > ${join(outside, 'pwned')}`,
        `echo ${marker} > ../escaped`,
        `echo ${marker} > /usr/stint-${marker}`,
        `echo ${marker} > ${join(outside, 'secret.txt')}`,
        `echo ${marker} > written.txt`,
      ].join('; '),
    );
    assert.equal(readFileSync(join(checkout, 'written.txt'), 'utf8'), `${marker}\n`, r.output);
    assert.equal(existsSync(join(outside, 'pwned')), false);
    assert.equal(existsSync(join(base, 'escaped')), false);
    assert.equal(existsSync(`/usr/stint-${marker}`), false);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), secretText);
  });

  test('a small read-only file is a copy as it is at each start: readable, not writable, the host file untouched', async () => {
    if (!probe.ok) return;
    const shared = join(base, 'shared.conf');
    writeFileSync(shared, 'first\n');
    const withFile = createSandbox('bubblewrap', {
      bwrapPath: probe.path,
      features: probe.features,
      killGraceMs: 500,
      tmpBytes: 16 * 1024 * 1024,
      extraReadOnlyPaths: [shared],
    });
    const runIn = (command: string) =>
      withFile.run({ command, cwd: checkout, timeoutMs: 120_000, maxOutputBytes: 100_000 });
    const r = await runIn(
      `cat ${shared}; echo changed > ${shared} || echo refused; cat /etc/passwd | head -1`,
    );
    assert.match(r.output, /^first\n/, r.output);
    assert.match(r.output, /refused/, r.output);
    assert.match(r.output, /^root:/m, 'the default /etc files are there too');
    assert.equal(readFileSync(shared, 'utf8'), 'first\n');
    writeFileSync(shared, 'second\n');
    assert.equal((await runIn(`cat ${shared}`)).output, 'second\n');
    // Gone from the host since the sandbox was made: an empty file, and the command still runs.
    rmSync(shared);
    const gone = await runIn(`wc -c < ${shared}`);
    assert.equal(gone.exitCode, 0, gone.output);
    assert.equal(gone.output.trim(), '0');
  });

  test("the checkout's .git is read-only: commands read it but cannot change, move or replace it", async () => {
    const repo = join(base, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'a.txt'), 'a\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'base');
    const head = git('rev-parse', 'HEAD').trim();
    const config = readFileSync(join(repo, '.git', 'config'), 'utf8');
    const r = await sandbox.run({
      command: [
        'git log --oneline 2>&1 | head -1',
        'echo "[core]" >> .git/config; echo "  fsmonitor = touch /tmp/pwned" >> .git/config',
        'mkdir -p .git/hooks; echo "#!/bin/sh" > .git/hooks/post-checkout',
        'echo 0000000000000000000000000000000000000000 > .git/refs/heads/main',
        'rm -f .git/HEAD',
        'mv .git moved 2>&1 || echo cannot-move',
        'rm -rf .git 2>&1 | tail -1',
        'echo changed > a.txt && echo worktree-writable',
      ].join('; '),
      cwd: repo,
      timeoutMs: 10_000,
      maxOutputBytes: 100_000,
    });
    assert.match(r.output, /base/, 'git can read the history');
    assert.match(r.output, /worktree-writable/);
    assert.match(r.output, /Read-only file system|cannot-move/);
    assert.equal(readFileSync(join(repo, '.git', 'config'), 'utf8'), config);
    assert.equal(existsSync(join(repo, '.git', 'hooks', 'post-checkout')), false);
    assert.equal(existsSync(join(repo, 'moved')), false);
    assert.equal(git('rev-parse', 'HEAD').trim(), head, 'refs and HEAD unchanged');
    assert.equal(readFileSync(join(repo, 'a.txt'), 'utf8'), 'changed\n');
  });

  test('/tmp is private to each command', async () => {
    await run('echo left-behind > /tmp/x');
    const r = await run('cat /tmp/x 2>&1; echo $HOME; touch $HOME/ok && echo home-writable');
    assert.doesNotMatch(r.output, /left-behind/);
    assert.match(r.output, /home-writable/);
  });

  describe('network', () => {
    let server: Server;
    let port: number;
    let accepted = 0;
    // Our own client (the tests' node), so the test never depends on bash, python3 or curl.
    let client: string;
    let netSandbox: Sandbox;

    before(async () => {
      server = createServer((s) => {
        accepted += 1;
        s.end('hello-from-host\n');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
      client = tcpClientCommand(port);
      if (!probe.ok) return;
      // Its own sandbox: the same, plus the tests' node shown read-only (the TCP client).
      netSandbox = createSandbox('bubblewrap', {
        bwrapPath: probe.path,
        features: probe.features,
        killGraceMs: 500,
        extraReadOnlyPaths: [nodeDir],
      });
    });
    const connect = (network: boolean) =>
      netSandbox.run({ command: client, cwd: checkout, timeoutMs: 60_000, maxOutputBytes: 10_000, network });
    after(() => new Promise<void>((r) => server.close(() => r())));

    test('is off: a server on the host 127.0.0.1 cannot be reached', async () => {
      const r = await connect(false);
      assert.notEqual(r.exitCode, 0, r.output);
      assert.match(r.output, /no-connection/, 'the client ran and failed to connect');
      assert.doesNotMatch(r.output, /hello-from-host/);
      assert.equal(accepted, 0);
    });

    test('is on when the request allows it (control: the client works)', async () => {
      const r = await connect(true);
      assert.match(r.output, /hello-from-host/);
      assert.equal(r.exitCode, 0);
    });
  });

  // The sleeps' markers are far longer than the test may run: killing must not wait for them.
  test('timeout kills the command and all its children', async () => {
    const a = sleepMarker();
    const b = sleepMarker();
    const r = await runUntilStarted(
      (timeoutMs) => run(`sleep ${a} & (sleep ${b} &) ; echo started; wait`, { timeoutMs }),
      (r) => /started/.test(r.output),
    );
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, 124);
    assert.match(r.output, /started/);
    assert.deepEqual(await waitNoProcesses(a, 30_000), [], 'the direct child survived');
    assert.deepEqual(await waitNoProcesses(b, 30_000), [], 'the orphaned grandchild survived');
  });

  test('a child ignoring SIGTERM is killed; background processes left behind are killed', async () => {
    const a = sleepMarker();
    const r = await runUntilStarted(
      (timeoutMs) => run(`sh -c 'trap "" TERM; echo trapped; exec sleep ${a}' & wait`, { timeoutMs }),
      (r) => /trapped/.test(r.output),
    );
    assert.equal(r.exitCode, 124);
    assert.deepEqual(await waitNoProcesses(a, 30_000), []);
    // Left running at a normal exit, in the command's group and in a session of its own: the
    // sandbox's PID namespace ends with the command (nothing looks for them then).
    const b = sleepMarker();
    const c = sleepMarker();
    const left = await run(`sleep ${b} & (setsid sleep ${c} &) ; echo left`);
    assert.equal(left.exitCode, 0);
    assert.deepEqual(await waitNoProcesses(b, 30_000), []);
    assert.deepEqual(await waitNoProcesses(c, 30_000), []);
  });

  test('abort kills the command tree', async () => {
    const a = sleepMarker();
    const controller = new AbortController();
    // Abort once the child runs (it left a file), not after a guess at how long that takes.
    const running = run(`sleep ${a} & touch abort-started; wait`, { signal: controller.signal });
    await waitForFile(join(checkout, 'abort-started'));
    assert.ok(processesWith(a).length > 0, 'the child runs before the abort');
    controller.abort();
    const r = await running;
    assert.equal(r.aborted, true);
    assert.equal(r.exitCode, 130);
    assert.deepEqual(await waitNoProcesses(a, 30_000), []);
  });

  test("the environment is the allowlist plus req.env, never the server's", async () => {
    process.env['STINT_TEST_SECRET'] = 'top-secret';
    try {
      const r = await run('env', { env: { EXTRA: 'yes' } });
      assert.ok(!r.output.includes('top-secret'));
      const names = r.output
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => l.slice(0, l.indexOf('=')));
      const allowed = new Set(['EXTRA', 'HOME', 'LANG', 'PATH', 'TERM', 'PWD', 'SHLVL', 'OLDPWD', '_']);
      assert.deepEqual(
        names.filter((n) => !allowed.has(n)),
        [],
      );
      assert.ok(names.includes('EXTRA'));
    } finally {
      delete process.env['STINT_TEST_SECRET'];
    }
  });

  test('a working directory outside the root is refused', async () => {
    await assert.rejects(run('true', { root: join(checkout), cwd: outside }), /outside its root/);
    const sub = join(checkout, 'sub');
    mkdirSync(sub);
    const r = await run('pwd; echo x > ../from-sub && echo ok', { root: checkout, cwd: sub });
    assert.equal(r.output, `${sub}\nok\n`);
  });
});
