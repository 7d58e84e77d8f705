/**
 * Outputs are a fenced step: nothing is pushed before the `done` commit has checked the session's
 * state and lease. Hooks hold a drive at the exact point (no sleeps): a session cancelled, paused
 * or deleted just before its `done` commit pushes nothing; one held after that commit has its
 * change set recorded with the delivery pending, and publishes once released.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activityKind } from '../support/activities.ts';
import { addSource, git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, makeTempDir, waitUntil } from '../support/server.ts';

/** A gate a hook waits at: `reached` resolves when the drive gets there, `open()` lets it go on. */
function gate() {
  let reached!: () => void;
  let open!: () => void;
  const r = new Promise<void>((res) => {
    reached = res;
  });
  const o = new Promise<void>((res) => {
    open = res;
  });
  return {
    reached: r,
    open,
    wait: async () => {
      reached();
      await o;
    },
  };
}

describe('fenced delivery (AUTO_CREATE_PR on a plain git source)', () => {
  let server: InProcessServer;
  let bare: string;
  const gates = new Map<string, ReturnType<typeof gate>>();
  const delivering = new Map<string, ReturnType<typeof gate>>();

  before(async () => {
    bare = makeBareRepo();
    const dataDir = makeTempDir();
    addSource(dataDir, 'git/acme/fence', bare);
    server = await startInProcess({ dataDir });
    const hooks = server.stint.worker!.hooks;
    hooks.beforeDoneCommit = async (id) => gates.get(id)?.wait();
    hooks.beforeDelivery = async (id) => delivering.get(id)?.wait();
  });
  after(async () => {
    await server?.close();
    rmSync(dirname(bare), { recursive: true, force: true });
  });

  const branches = () =>
    git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/stint/').split('\n').filter(Boolean);
  const driving = (id: string) => server.stint.worker!.isDriving(id);
  const session = async (id: string) => (await api(server, 'GET', `/sessions/${id}`)).body;
  const activities = async (id: string) =>
    (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities as any[];

  /** Creates a session that writes a file and holds it just before its `done` commit. */
  async function heldBeforeDone(title: string): Promise<{ id: string; g: ReturnType<typeof gate> }> {
    const g = gate();
    const res = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt(title, { steps: [{ write: { path: `${title}.txt`, content: 'x\n' } }] }),
      sourceContext: { source: 'sources/git/acme/fence' },
      automationMode: 'AUTO_CREATE_PR',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const id = res.body.id as string;
    gates.set(id, g);
    await g.reached;
    return { id, g };
  }

  test('cancelled just before the done commit: nothing is pushed', async () => {
    const { id, g } = await heldBeforeDone('cancelled');
    assert.equal((await api(server, 'POST', `/sessions/${id}:cancel`, {})).status, 200);
    g.open();
    await waitUntil(() => !driving(id), 20_000, 20);
    assert.deepEqual(branches(), []);
    const s = await session(id);
    assert.equal(s.state, 'FAILED');
    assert.deepEqual(s.outputs ?? [], []);
    assert.ok(!(await activities(id)).some((a) => a.sessionCompleted));
  });

  test('deleted just before the done commit: nothing is pushed', async () => {
    const { id, g } = await heldBeforeDone('deleted');
    assert.equal((await api(server, 'DELETE', `/sessions/${id}`)).status, 200);
    g.open();
    await waitUntil(() => !driving(id), 20_000, 20);
    assert.deepEqual(branches(), []);
  });

  test('paused just before the done commit: nothing is pushed until resumed, then once', async () => {
    const { id, g } = await heldBeforeDone('paused');
    assert.equal((await api(server, 'POST', `/sessions/${id}:pause`, {})).status, 200);
    g.open();
    await waitUntil(() => !driving(id), 20_000, 20);
    assert.deepEqual(branches(), []);
    assert.equal((await session(id)).state, 'PAUSED');
    gates.delete(id);
    assert.equal((await api(server, 'POST', `/sessions/${id}:resume`, {})).status, 200);
    await waitUntil(async () => (await session(id)).state === 'COMPLETED', 30_000);
    assert.deepEqual(branches(), [`refs/heads/stint/${id}`]);
    // One commit on top of main: the session's, pushed once.
    assert.equal(git(bare, 'rev-list', '--count', `main..stint/${id}`).trim(), '1');
    const s = await session(id);
    // A plain git source: the pushed branch beside the change set, no pull request.
    assert.equal(s.outputs.length, 1);
    assert.equal(s.outputs[0].branch.name, `stint/${id}`);
    assert.equal(s.outputs[0].branch.commitId, git(bare, 'rev-parse', `stint/${id}`).trim());
  });

  test('after the done commit the change set is recorded and the delivery pending; then it is published', async () => {
    const g = gate();
    const res = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('held', { steps: [{ write: { path: 'held.txt', content: 'x\n' } }] }),
      sourceContext: { source: 'sources/git/acme/fence' },
      automationMode: 'AUTO_CREATE_PR',
    });
    const id = res.body.id as string;
    delivering.set(id, g);
    await g.reached;
    const record = await server.stint.store.getSession(id);
    assert.equal(record?.session.state, 'IN_PROGRESS');
    assert.ok(record?.work.delivery, 'the delivery is pending');
    assert.equal(record?.work.wantsWork, true);
    assert.match((record!.session.outputs[0] as any).changeSet.gitPatch.unidiffPatch, /held\.txt/);
    assert.ok(!branches().includes(`refs/heads/stint/${id}`));
    g.open();
    await waitUntil(async () => (await session(id)).state === 'COMPLETED', 30_000);
    const done = await server.stint.store.getSession(id);
    assert.equal(done?.work.delivery, undefined);
    assert.equal((done?.session.outputs[0] as any)?.branch?.name, `stint/${id}`);
    assert.ok(!done?.session.outputs.some((o) => 'pullRequest' in o));
    const kinds = (await activities(id)).map((a) => a.progressUpdated?.title ?? activityKind(a));
    assert.deepEqual(kinds.slice(-3), ['Changes ready', 'Branch pushed', 'sessionCompleted']);
  });
});
