/**
 * Source setup end to end (in-process server, real sandbox): setup runs before the agent's first
 * step and its output is progress; the next session with the same lockfile restores it from the
 * cache without running it, a changed lockfile runs it again (and no previous output leaks through
 * the reused checkout), the cache survives a restart and belongs to one tenant; a failing or
 * too-slow setup fails the session with the reason and its output's tail, secrets redacted.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { openSecrets } from '../../src/security/setup.ts';
import type { SourceSetupConfig } from '../../src/sources/setup-config.ts';
import { eventually, startTestStint, type TestStint } from '../security/helpers.ts';
import { git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { makeTempDir } from '../support/server.ts';

const SETUP_SECRET = 'setup_secret_value_7781';
const OTHER_SECRET = 'agent_only_secret_value_9912';
const SETUP =
  "test -e deps && echo LEAKED-FROM-''BEFORE; mkdir -p deps && echo built-by-setup > deps/out.txt && echo setup-ran-''now";

let t: TestStint | undefined;
const dataDir = makeTempDir('stint-setup-');
const bare = makeBareRepo({ 'package-lock.json': '{"lockfileVersion":3}\n', '.gitignore': 'deps/\n' });
const scriptBare = makeBareRepo({ '.stint/setup.sh': 'echo from-the-script\n' });

async function start(): Promise<TestStint> {
  // A pushed lockfile must reach the very next session: no reuse of a fetch younger than 2 s.
  return startTestStint({
    worker: true,
    dataDir,
    env: { STINT_SETUP_CACHE_SPARES: '1', STINT_MIRROR_FETCH_INTERVAL: '0' },
  });
}

async function addSource(tenant: string, id: string, gitUrl: string, setup: SourceSetupConfig) {
  await t!.stint.store.ensureTenant(tenant, tenant);
  await t!.stint.store.putSource({
    tenantId: tenant,
    id,
    gitUrl,
    isPrivate: false,
    defaultBranch: 'main',
    config: { setup },
    createTime: Date.now() * 1000,
  });
}

async function runSession(tenant: string, source: string, steps: unknown[]) {
  const key = await t!.key(tenant);
  const created = await t!.call(key, 'POST', '/v1alpha/sessions', {
    prompt: scriptPrompt('work', { plan: ['work'], steps }),
    sourceContext: { source: `sources/${source}`, githubRepoContext: { startingBranch: 'main' } },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;
  const session = await eventually(async () => {
    const s = (await t!.call(key, 'GET', `/v1alpha/sessions/${id}`)).body;
    return s.state === 'COMPLETED' || s.state === 'FAILED' ? s : undefined;
  });
  const activities = (await t!.call(key, 'GET', `/v1alpha/sessions/${id}/activities?pageSize=100`)).body
    .activities as any[];
  const failed = activities.find((a) => a.sessionFailed)?.sessionFailed?.reason as string | undefined;
  return { session, activities, text: JSON.stringify(activities), failed };
}

before(async () => {
  t = await start();
  await addSource('acme', 'github/acme/app', bare, { commands: [SETUP] });
  await addSource('acme', 'github/acme/scripted', scriptBare, { commands: ['echo from-the-commands'] });
});

after(async () => {
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dirname(bare), { recursive: true, force: true });
  rmSync(dirname(scriptBare), { recursive: true, force: true });
});

test('setup runs before the first step, then comes from the cache until the lockfile changes', async () => {
  const first = await runSession('acme', 'github/acme/app', [{ run: 'cat deps/out.txt' }]);
  assert.equal(first.session.state, 'COMPLETED', first.text);
  assert.match(first.text, /Running the setup commands/);
  assert.match(first.text, /setup-ran-now/);
  assert.match(first.text, /Setup finished/);
  assert.match(first.text, /Cached deps/);
  const titles = first.activities.map(
    (a) => a.progressUpdated?.title ?? Object.keys(a).find((k) => k.endsWith('ed')),
  );
  const setupDone = titles.indexOf('Setup finished');
  const plan = first.activities.findIndex((a) => a.planGenerated);
  assert.ok(setupDone >= 0 && plan > setupDone, `setup comes before the agent's first step: ${titles}`);
  assert.match(first.text, /built-by-setup/, 'the agent sees what setup made');

  // Same lockfile: restored, not run; the agent overwrites what it got.
  const second = await runSession('acme', 'github/acme/app', [
    { run: 'cat deps/out.txt && echo corrupted-by-agent > deps/out.txt' },
  ]);
  assert.equal(second.session.state, 'COMPLETED', second.text);
  assert.match(second.text, /Setup restored from the cache/);
  assert.doesNotMatch(second.text, /setup-ran-now/);
  assert.match(second.text, /built-by-setup/);

  // What one session wrote over its restored copy does not reach the cache.
  const third = await runSession('acme', 'github/acme/app', [{ run: 'cat deps/out.txt' }]);
  assert.match(third.text, /Setup restored from the cache/);
  assert.match(third.text, /built-by-setup/);
  assert.doesNotMatch(third.text, /corrupted-by-agent/);

  // A changed lockfile is a new key: setup runs again, on a reused checkout without the old output.
  const work = makeTempDir('stint-setup-push-');
  git(work, 'clone', '-q', bare, 'w');
  writeFileSync(join(work, 'w', 'package-lock.json'), '{"lockfileVersion":3,"changed":true}\n');
  git(join(work, 'w'), 'commit', '-qam', 'update lockfile');
  git(join(work, 'w'), 'push', '-q', 'origin', 'main');
  rmSync(work, { recursive: true, force: true });
  const fourth = await runSession('acme', 'github/acme/app', [{ run: 'cat deps/out.txt' }]);
  assert.equal(fourth.session.state, 'COMPLETED', fourth.text);
  assert.match(fourth.text, /setup-ran-now/);
  assert.doesNotMatch(fourth.text, /Setup restored from the cache/);
  assert.doesNotMatch(fourth.text, /LEAKED-FROM-BEFORE/);
});

test('the cache survives a restart and is not shared with another tenant', async () => {
  const warm = await runSession('acme', 'github/acme/app', [{ run: 'true' }]);
  assert.match(warm.text, /Setup restored from the cache|setup-ran-now/);
  await t!.close();
  t = await start();
  const afterRestart = await runSession('acme', 'github/acme/app', [{ run: 'cat deps/out.txt' }]);
  assert.equal(afterRestart.session.state, 'COMPLETED', afterRestart.text);
  assert.match(afterRestart.text, /Setup restored from the cache/);
  assert.match(afterRestart.text, /built-by-setup/);

  // Same repository, source id and setup in another tenant: its own cache, so setup runs.
  await addSource('rival', 'github/acme/app', bare, { commands: [SETUP] });
  const rival = await runSession('rival', 'github/acme/app', [{ run: 'true' }]);
  assert.equal(rival.session.state, 'COMPLETED', rival.text);
  assert.match(rival.text, /setup-ran-now/);
  assert.doesNotMatch(rival.text, /Setup restored from the cache/);
});

test("the repository's .stint/setup.sh wins over the source's commands", async () => {
  const r = await runSession('acme', 'github/acme/scripted', [{ run: 'true' }]);
  assert.equal(r.session.state, 'COMPLETED', r.text);
  assert.match(r.text, /Running the repository setup script/);
  assert.match(r.text, /from-the-script/);
  assert.doesNotMatch(r.text, /from-the-commands/);
});

test('a failing setup fails the session with the exit code and the tail of its output, secrets redacted', async () => {
  const { secrets } = await openSecrets(t!.stint.store, t!.dataDir, t!.stint.config.security);
  await addSource('acme', 'github/acme/broken', bare, {
    commands: ['echo "other=$OTHER_TOKEN"; echo "token=$SETUP_TOKEN"; echo oops-went-wrong >&2; exit 3'],
    secrets: ['SETUP_TOKEN'],
  });
  await secrets.set('acme', 'github/acme/broken', 'SETUP_TOKEN', SETUP_SECRET);
  await secrets.set('acme', '', 'OTHER_TOKEN', OTHER_SECRET);
  const r = await runSession('acme', 'github/acme/broken', [{ run: 'echo agent-ran' }]);
  assert.equal(r.session.state, 'FAILED', r.text);
  assert.ok(r.failed, r.text);
  assert.match(r.failed!, /Setup failed: .* exited with code 3/);
  assert.match(r.failed!, /oops-went-wrong/);
  assert.match(r.failed!, /token=\*\*\*/, 'the setup secret reached setup and was redacted');
  assert.match(r.failed!, /other=\ntoken=/, 'a secret not configured for setup does not reach it');
  assert.ok(!r.text.includes(SETUP_SECRET));
  assert.doesNotMatch(r.text, /agent-ran/, 'the agent never started');
  assert.ok(!r.activities.some((a) => a.planGenerated));
});

test('a setup over its time limit fails the session saying so', async () => {
  await addSource('acme', 'github/acme/slow', bare, {
    commands: ['echo started-sleeping; sleep 60'],
    timeoutMs: 2000,
  });
  const r = await runSession('acme', 'github/acme/slow', [{ run: 'echo agent-ran' }]);
  assert.equal(r.session.state, 'FAILED', r.text);
  assert.match(r.failed ?? '', /Setup did not finish within 2 s/);
  assert.doesNotMatch(r.text, /agent-ran/);
});
