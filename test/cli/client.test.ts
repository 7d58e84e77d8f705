/** The client commands run as subprocesses against a real `stint serve`, the way people and CI use them. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addSource, git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, makeTempDir, repoRoot, type StartedServer, startServer, waitUntil } from '../support/server.ts';
import { runCli } from './run-cli.ts';

const SOURCE = 'github/acme/widgets';
const FAST = ['--interval', '0.2'];

describe('stint client commands', () => {
  let server: StartedServer;
  let bare: string;
  let env: Record<string, string>;
  const dirs: string[] = [];
  const temp = (prefix: string) => {
    const d = makeTempDir(prefix);
    dirs.push(d);
    return d;
  };
  const cli = (args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) =>
    runCli(args, { ...opts, env: { ...env, ...opts.env } });
  const getSession = async (id: string) => (await api(server, 'GET', `/sessions/${id}`)).body;
  const ended = (id: string) =>
    waitUntil(async () => {
      const s = await getSession(id);
      return s.state === 'COMPLETED' || s.state === 'FAILED' ? s : undefined;
    });

  before(async () => {
    bare = makeBareRepo();
    dirs.push(join(bare, '..'));
    const dataDir = temp('stint-cli-data-');
    addSource(dataDir, SOURCE, bare);
    server = await startServer({ dataDir });
    env = {
      STINT_SERVER: server.origin,
      STINT_API_KEY: server.apiKey,
      XDG_CONFIG_HOME: temp('stint-cli-xdg-'),
    };
  });

  after(async () => {
    await server?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('new --wait follows the session to completion with plain lines when not on a terminal', async () => {
    const prompt = scriptPrompt('Add a greeting', {
      title: 'Greeting',
      plan: ['Write hello.txt', 'Show it'],
      steps: [
        { progress: 'Starting', description: 'warming up' },
        { write: { path: 'hello.txt', content: 'hello\n' } },
        { run: 'cat hello.txt' },
        { message: 'All done' },
      ],
    });
    const r = await cli(['new', prompt, '--source', SOURCE, '--wait', ...FAST]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const id = /^Created session (\d+): Greeting$/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.doesNotMatch(r.stdout, /\x1b/, 'no colours or cursor movement on a pipe');
    const expected = [
      'Plan (2 steps):',
      '1. Write hello.txt',
      '2. Show it',
      'Plan approved',
      'Starting',
      'warming up',
      'Wrote hello.txt',
      'Agent: All done',
      'A hello.txt  +1 -0',
      'diff --git a/hello.txt b/hello.txt',
      '+hello',
      'Session completed',
      `Session ${id} completed in`,
      `stint pull ${id}`,
    ];
    let at = -1;
    for (const text of expected) {
      const next = r.stdout.indexOf(text, at + 1);
      assert.ok(next > at, `'${text}' after the previous lines in:\n${r.stdout}`);
      at = next;
    }
    assert.equal(r.stdout.split('Agent: All done').length, 2, 'each activity is printed once');
    assert.equal((await getSession(id)).state, 'COMPLETED');
  });

  test('watch exits 1 when the session fails, showing the reason', async () => {
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Break', { plan: ['Try'], steps: [{ fail: 'cannot do it' }] }),
    });
    const r = await cli(['watch', created.body.id, ...FAST]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /Session failed: cannot do it/);
    assert.match(r.stdout, new RegExp(`Session ${created.body.id} failed after`));
  });

  test('--json on new, show, ls and sources ls prints the API resources', async () => {
    const made = await cli(['new', 'Repoless work', '--title', 'JSON check', '--json']);
    assert.equal(made.code, 0, made.stderr);
    const created = JSON.parse(made.stdout);
    assert.equal(created.title, 'JSON check');
    assert.equal(created.prompt, 'Repoless work');
    assert.match(created.name, /^sessions\/\d+$/);
    const done = await ended(created.id);
    assert.deepEqual(
      { ...created, state: done.state, updateTime: done.updateTime, outputs: done.outputs },
      done,
    );

    const shown = await cli(['show', created.id, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), await getSession(created.id));

    const listed = await cli(['ls', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), (await api(server, 'GET', '/sessions')).body);

    const sources = await cli(['sources', 'ls', '--json']);
    assert.equal(sources.code, 0, sources.stderr);
    const fromApi = (await api(server, 'GET', '/sources')).body;
    assert.deepEqual(JSON.parse(sources.stdout), fromApi);
    assert.equal(fromApi.sources[0].name, `sources/${SOURCE}`);

    const waited = await cli(['new', 'Wait for me', '--json', '--wait', ...FAST]);
    assert.equal(waited.code, 0, waited.stderr);
    const final = JSON.parse(waited.stdout);
    assert.equal(final.state, 'COMPLETED');
    assert.deepEqual(final, await getSession(final.id));
    assert.match(waited.stderr, /Session completed/, 'progress goes to stderr when stdout carries JSON');
  });

  test('approve and say drive a waiting session; pull applies its patch to a real checkout', async () => {
    const prompt = scriptPrompt('Paint it', {
      plan: ['Pick a colour'],
      steps: [
        { ask: 'Which colour?' },
        { write: { path: 'colour.txt', content: 'blue\n' } },
        { message: 'Painted' },
      ],
    });
    const first = await cli(['new', prompt, '--source', SOURCE, '--require-approval', '--wait', ...FAST]);
    assert.equal(first.code, 3, first.stderr + first.stdout);
    const id = /Created session (\d+)/.exec(first.stdout)![1]!;
    assert.match(first.stdout, /1\. Pick a colour/);
    assert.match(first.stdout, new RegExp(`waits for your approval.*stint approve ${id} --wait`));
    assert.equal((await getSession(id)).state, 'AWAITING_PLAN_APPROVAL');

    const approved = await cli(['approve', id, '--wait', ...FAST]);
    assert.equal(approved.code, 3, approved.stderr + approved.stdout);
    assert.match(approved.stdout, /Approved the plan of session/);
    assert.match(approved.stdout, /Plan approved/);
    assert.match(approved.stdout, /Agent: Which colour\?/);
    assert.doesNotMatch(approved.stdout, /Pick a colour/, 'only what happened after the approval');
    assert.match(approved.stdout, new RegExp(`stint say ${id} "your answer" --wait`));

    const answered = await cli(['say', id, 'blue', '--wait', ...FAST]);
    assert.equal(answered.code, 0, answered.stderr + answered.stdout);
    assert.match(answered.stdout, /You: blue/);
    assert.match(answered.stdout, /Agent: Painted/);
    assert.match(answered.stdout, /\+blue/);

    const checkout = join(temp('stint-cli-co-'), 'widgets');
    git(join(checkout, '..'), 'clone', '-q', bare, checkout);
    writeFileSync(join(checkout, 'README.md'), '# local edit\n');
    const dirty = await cli(['pull', id], { cwd: checkout });
    assert.equal(dirty.code, 6, dirty.stderr);
    assert.match(dirty.stderr, /uncommitted changes/);
    assert.match(dirty.stderr, /--force/);
    assert.ok(!existsSync(join(checkout, 'colour.txt')), 'a refused pull changes nothing');

    git(checkout, 'checkout', '-q', '--', 'README.md');
    const pulled = await cli(['pull', id], { cwd: checkout });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /Applied 1 file from session/);
    assert.match(pulled.stdout, /A colour\.txt/);
    assert.equal(readFileSync(join(checkout, 'colour.txt'), 'utf8'), 'blue\n');
    assert.equal(git(checkout, 'status', '--porcelain').trim(), '?? colour.txt');

    const again = await cli(['pull', id], { cwd: checkout });
    assert.equal(again.code, 6);
    assert.match(again.stderr, /already applied/);

    rmSync(join(checkout, 'colour.txt'));
    writeFileSync(join(checkout, 'README.md'), '# local edit\n');
    const forced = await cli(['pull', id, '--force'], { cwd: checkout });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(join(checkout, 'colour.txt'), 'utf8'), 'blue\n');
    assert.equal(readFileSync(join(checkout, 'README.md'), 'utf8'), '# local edit\n');

    const nowhere = await cli(['pull', id], { cwd: temp('stint-cli-nogit-') });
    assert.equal(nowhere.code, 6);
    assert.match(nowhere.stderr, /not inside a git checkout/);
  });

  test('ls filters by state and pages; archive hides a session; rm deletes it', async () => {
    const table = await cli(['ls', '--state', 'completed']);
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trim().split('\n');
    assert.match(header!, /^ID\s+STATE\s+UPDATED\s+SOURCE\s+TITLE$/);
    assert.ok(rows.length >= 3);
    for (const row of rows) assert.match(row, /^\d+\s+COMPLETED\s/);
    assert.match(table.stdout, /github\/acme\/widgets@main\s+Greeting/);

    const one = JSON.parse((await cli(['ls', '--limit', '1', '--json'])).stdout);
    assert.equal(one.sessions.length, 1);
    assert.ok(one.nextPageToken);
    const two = JSON.parse(
      (await cli(['ls', '--limit', '1', '--page-token', one.nextPageToken, '--json'])).stdout,
    );
    assert.equal(two.sessions.length, 1);
    assert.notEqual(two.sessions[0].id, one.sessions[0].id);
    assert.match((await cli(['ls', '--limit', '1'])).stderr, /More: stint ls --page-token \S+ --limit 1/);

    const id = one.sessions[0].id;
    const archived = await cli(['archive', id]);
    assert.equal(archived.code, 0, archived.stderr);
    assert.match(archived.stdout, new RegExp(`Archived session ${id}`));
    const visible = JSON.parse((await cli(['ls', '--json', '--all'])).stdout).sessions.map((s: any) => s.id);
    assert.ok(!visible.includes(id));
    const hidden = JSON.parse((await cli(['ls', '--archived', '--json'])).stdout).sessions.map(
      (s: any) => s.id,
    );
    assert.ok(hidden.includes(id));

    const unconfirmed = await cli(['rm', id]);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /--yes/);
    const removed = await cli(['rm', id, '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).status, 404);
  });

  test('errors show the server message and use the documented exit codes', async () => {
    const missing = await cli(['show', '1234567890123456789']);
    assert.equal(missing.code, 4);
    const apiError = (await api(server, 'GET', '/sessions/1234567890123456789')).body.error;
    assert.ok(missing.stderr.includes(apiError.message), missing.stderr);
    assert.match(missing.stderr, /NOT_FOUND, HTTP 404/);

    const done = (await api(server, 'GET', '/sessions?filter=state%20%3D%20COMPLETED')).body.sessions[0];
    const late = await cli(['approve', done.id]);
    assert.equal(late.code, 4);
    assert.match(late.stderr, /FAILED_PRECONDITION/);

    const noKey = await cli(['ls'], { env: { STINT_API_KEY: '', XDG_CONFIG_HOME: temp('stint-cli-xdg-') } });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no API key for http:\/\/127\.0\.0\.1:\d+/);
    assert.match(noKey.stderr, /stint login/);

    const badKey = await cli(['ls'], { env: { STINT_API_KEY: 'stint_wrong' } });
    assert.equal(badKey.code, 4);
    assert.match(badKey.stderr, /UNAUTHENTICATED/);
    assert.ok(!badKey.stderr.includes('stint_wrong'), 'the key is never printed');

    const closed = await closedPort();
    const down = await cli(['ls', '--server', `http://127.0.0.1:${closed}`]);
    assert.equal(down.code, 5);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);

    const launcher = await runCli(['ls'], {
      env: { STINT_API_KEY: '', XDG_CONFIG_HOME: temp('stint-cli-xdg-') },
      entry: join(repoRoot, 'bin', 'stint.cjs'),
    });
    assert.equal(launcher.code, 2, 'bin/stint.cjs passes the exit code on');

    assert.equal((await cli(['ls', '--state', 'SLEEPING'])).code, 2);
    assert.equal((await cli(['ls', '--bogus'])).code, 2);
    assert.equal((await cli(['new', '--branch', 'main', 'x'])).code, 2);
  });

  test('login checks the key and saves it with mode 0600; commands then need no environment', async () => {
    const xdg = temp('stint-cli-login-');
    const path = join(xdg, 'stint', 'config.json');
    const bare = { STINT_SERVER: '', STINT_API_KEY: '', XDG_CONFIG_HOME: xdg };

    const rejected = await cli(['login', '--server', server.origin], { input: 'stint_wrong\n', env: bare });
    assert.equal(rejected.code, 4);
    assert.ok(!existsSync(path), 'a rejected key is not saved');

    const ok = await cli(['login', '--server', `${server.origin}/v1alpha`], {
      input: `${server.apiKey}\n`,
      env: bare,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes(server.apiKey) && !ok.stderr.includes(server.apiKey));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {
      server: server.origin,
      keys: { [server.origin]: server.apiKey },
    });

    const listed = await cli(['sources', 'ls'], { env: bare });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^SOURCE\s+DEFAULT BRANCH\s+BRANCHES\s+VISIBILITY\n/);
    assert.match(listed.stdout, /github\/acme\/widgets\s+main\s+2\s+public/);

    const out = await cli(['logout'], { env: bare });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')).keys, {});
    assert.equal((await cli(['ls'], { env: bare })).code, 2);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
