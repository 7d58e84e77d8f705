/**
 * WorkspaceTracker: two checkouts of one session stand in for two machines; the "store" holds the
 * last committed snapshot as the runner would commit it.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkspaceTracker } from '../../src/runner/workspace-tracker.ts';
import type { Store, WorkspaceSnapshot } from '../../src/store/store.ts';
import { prepareCheckout } from '../../src/workspace/checkout.ts';
import { createRemote, makeTempDir, type Remote } from '../workspace/helpers.ts';

describe('WorkspaceTracker', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  let remote: Remote;
  before(async () => {
    tmp = await makeTempDir();
    remote = await createRemote(join(tmp.path, 'remote'));
  });
  after(() => tmp.cleanup());

  /** One session: its committed snapshot, and a machine = a workspaces dir with its checkout. */
  function session(name: string) {
    let committed: WorkspaceSnapshot | undefined;
    const store = { getWorkspaceSnapshot: async () => committed } as unknown as Store;
    const machine = (m: string) => {
      const workspacesDir = join(tmp.path, name, m);
      const workdir = join(workspacesDir, 'session');
      let prepares = 0;
      const prepare = async () => {
        prepares++;
        return (await prepareCheckout({ dir: workdir, gitUrl: remote.url, branch: 'main' })).baseCommitId;
      };
      return {
        workdir,
        prepares: () => prepares,
        async open() {
          const baseCommitId = await prepare();
          return WorkspaceTracker.open({
            store,
            sessionId: 'session',
            workdir,
            workspacesDir,
            baseCommitId,
            remote: { url: remote.url, env: {} },
            prepare,
          });
        },
      };
    };
    /** The runner's step: capture, commit (the store keeps the snapshot), tell the tracker. */
    const step = async (t: WorkspaceTracker) => {
      const snap = await t.capture();
      if (snap) committed = snap;
      t.committed(snap);
      return snap;
    };
    return { machine, step, committed: () => committed };
  }

  test('a step that changes nothing carries no snapshot; one that does carries the tree', async () => {
    const s = session('steps');
    const a = s.machine('a');
    const t = await a.open();
    assert.equal(await s.step(t), undefined);
    await writeFile(join(a.workdir, 'x.txt'), 'x\n');
    const snap = await s.step(t);
    assert.ok(snap);
    assert.match(snap.patch, /x\.txt/);
    assert.equal(await s.step(t), undefined, 'unchanged since the last commit');
  });

  test('another machine takes over from the last committed step', async () => {
    const s = session('takeover');
    const a = s.machine('a');
    const ta = await a.open();
    await writeFile(join(a.workdir, 'a.txt'), 'A\n');
    await s.step(ta);
    await writeFile(join(a.workdir, 'uncommitted.txt'), 'lost with machine a\n');

    const b = s.machine('b');
    const tb = await b.open();
    assert.equal(await readFile(join(b.workdir, 'a.txt'), 'utf8'), 'A\n');
    await assert.rejects(stat(join(b.workdir, 'uncommitted.txt')), { code: 'ENOENT' });
    assert.equal(await s.step(tb), undefined, 'the rebuilt tree is the committed one');
    await writeFile(join(b.workdir, 'b.txt'), 'B\n');
    await s.step(tb);
    await tb.markClean(false);

    // Machine a comes back to the session later: its checkout is stale and is rebuilt.
    const ta2 = await a.open();
    assert.equal(await readFile(join(a.workdir, 'b.txt'), 'utf8'), 'B\n');
    await assert.rejects(stat(join(a.workdir, 'uncommitted.txt')), { code: 'ENOENT' });
    assert.equal(await s.step(ta2), undefined);
  });

  test('a checkout ahead of the last commit (a crash mid-step) is put back to it', async () => {
    const s = session('ahead');
    const a = s.machine('a');
    const t = await a.open();
    await writeFile(join(a.workdir, 'kept.txt'), 'kept\n');
    await s.step(t);
    await writeFile(join(a.workdir, 'half-done.txt'), 'never committed\n');
    const t2 = await a.open();
    assert.equal(await readFile(join(a.workdir, 'kept.txt'), 'utf8'), 'kept\n');
    await assert.rejects(stat(join(a.workdir, 'half-done.txt')), { code: 'ENOENT' });
    assert.equal(await s.step(t2), undefined);
  });

  test('a drive that ended cleanly lets the next one on the same machine skip the comparison', async () => {
    const s = session('clean');
    const a = s.machine('a');
    const t = await a.open();
    await writeFile(join(a.workdir, 'a.txt'), 'A\n');
    await s.step(t);
    await t.markClean(true);
    // Nothing touches a checkout between two drives on one machine, so the mark is trusted: a file
    // slipped in meanwhile (only a test does that) is not looked for.
    await writeFile(join(a.workdir, 'slipped-in.txt'), 'x\n');
    const before = a.prepares();
    const t2 = await a.open();
    assert.equal(a.prepares(), before + 1, 'only the runner’s own checkout call, no rebuild');
    assert.equal(await readFile(join(a.workdir, 'slipped-in.txt'), 'utf8'), 'x\n');
    assert.ok(await s.step(t2), 'the next capture sees it, as any change');
    // A clean mark is used once: a drive that then crashes leaves none.
    await writeFile(join(a.workdir, 'half-done.txt'), 'x\n');
    await a.open();
    await assert.rejects(stat(join(a.workdir, 'half-done.txt')), { code: 'ENOENT' });
  });
});
