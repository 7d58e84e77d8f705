/** The Store contract: every implementation (SQLite, PostgreSQL) runs this same suite. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StintError } from '../../src/domain/errors.ts';
import { newSessionId } from '../../src/domain/ids.ts';
import type { Session } from '../../src/domain/session.ts';
import { nowMicros } from '../../src/domain/time.ts';
import { LeaseLostError, type Store } from '../../src/store/store.ts';

export function sessionFixture(tenantId: string, over: Partial<Session> = {}): Session {
  const now = nowMicros();
  return {
    id: newSessionId(),
    tenantId,
    prompt: 'do it',
    title: 'do it',
    requirePlanApproval: false,
    automationMode: 'AUTOMATION_MODE_UNSPECIFIED',
    state: 'QUEUED',
    archived: false,
    outputs: [],
    createTime: now,
    updateTime: now,
    ...over,
  };
}

/** A backoff too short to notice (1 ms). */
const NO_WAIT = { baseMs: 1, maxMs: 1 };

const say = (text: string) => ({
  originator: 'agent' as const,
  content: { kind: 'agentMessaged' as const, agentMessage: text },
});

export function runStoreContract(
  name: string,
  open: () => Promise<Store>,
  close: (s: Store) => Promise<void>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await close(store);
    });

    test('meta is set once', async () => {
      assert.equal(await store.ensureMeta('k', 'a'), 'a');
      assert.equal(await store.ensureMeta('k', 'b'), 'a');
      assert.equal(await store.getMeta('k'), 'a');
      assert.equal(await store.getMeta('missing'), undefined);
    });

    test('api keys are found by hash and can be revoked', async () => {
      await store.ensureTenant('t-keys', 'T');
      await store.createApiKey({
        id: 'k1',
        tenantId: 't-keys',
        name: 'n',
        hash: 'h1',
        role: 'admin',
        createTime: 1,
        revoked: false,
      });
      const k = await store.findApiKeyByHash('h1');
      assert.equal(k?.tenantId, 't-keys');
      assert.equal(k?.role, 'admin');
      assert.equal(await store.revokeApiKey('k1'), true);
      assert.equal((await store.findApiKeyByHash('h1'))?.revoked, true);
      assert.equal(await store.findApiKeyByHash('nope'), undefined);
    });

    test('sources are per tenant, upserted and paged by id', async () => {
      for (const id of ['github/a/c', 'github/a/a', 'github/a/b']) {
        await store.putSource({
          tenantId: 't-src',
          id,
          gitUrl: `/x/${id}`,
          isPrivate: false,
          config: {},
          createTime: 1,
        });
      }
      await store.putSource({
        tenantId: 't-src',
        id: 'github/a/a',
        gitUrl: '/new',
        defaultBranch: 'dev',
        isPrivate: true,
        config: { x: 1 },
        createTime: 2,
      });
      const page1 = await store.listSources('t-src', { limit: 2 });
      assert.deepEqual(
        page1.map((s) => s.id),
        ['github/a/a', 'github/a/b'],
      );
      assert.equal(page1[0]!.gitUrl, '/new');
      assert.equal(page1[0]!.defaultBranch, 'dev');
      assert.deepEqual(page1[0]!.config, { x: 1 });
      const page2 = await store.listSources('t-src', { afterId: 'github/a/b', limit: 2 });
      assert.deepEqual(
        page2.map((s) => s.id),
        ['github/a/c'],
      );
      assert.equal(await store.getSource('other', 'github/a/a'), undefined);
      assert.equal(await store.deleteSource('t-src', 'github/a/c'), true);
      assert.equal(await store.getSource('t-src', 'github/a/c'), undefined);
    });

    test('a created session is readable at once, only by its tenant', async () => {
      const s = sessionFixture('t1', {
        sourceContext: { source: 'sources/github/a/b', startingBranch: 'main' },
      });
      await store.createSession(s, { wantsWork: true }, []);
      const got = await store.getSession(s.id, 't1');
      assert.deepEqual(got?.session, s);
      assert.equal(got?.work.wantsWork, true);
      assert.equal(await store.getSession(s.id, 't2'), undefined);
      assert.equal(
        await store.mutateSession(s.id, () => ({ change: { title: 'x' } }), { tenantId: 't2' }),
        undefined,
      );
    });

    test('sessions list newest first with stable keyset paging and filters', async () => {
      const base = nowMicros();
      const made: Session[] = [];
      for (let i = 0; i < 7; i++) {
        const s = sessionFixture('t-list', { createTime: base + (i < 3 ? 0 : i) * 10, archived: i === 5 });
        made.push(s);
        await store.createSession(s, { wantsWork: false }, []);
      }
      const expected = made
        .filter((s) => !s.archived)
        .sort((a, b) => b.createTime - a.createTime || (a.id < b.id ? 1 : -1))
        .map((s) => s.id);
      const seen: string[] = [];
      let after: { createTime: number; id: string } | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await store.listSessions('t-list', {
          archived: false,
          limit: 2,
          ...(after ? { after } : {}),
        });
        if (page.length === 0) break;
        seen.push(...page.map((s) => s.id));
        const last = page[page.length - 1]!;
        after = { createTime: last.createTime, id: last.id };
        // a session created while paging (newer than everything) never shows up on later pages
        await store.createSession(
          sessionFixture('t-list', { createTime: nowMicros() + 1_000_000 }),
          { wantsWork: false },
          [],
        );
      }
      assert.deepEqual(seen, expected);
      const archived = await store.listSessions('t-list', { archived: true, limit: 10 });
      assert.deepEqual(
        archived.map((s) => s.id),
        [made[5]!.id],
      );
    });

    test('mutations append gap-free activities at least 1 ms apart, atomically', async () => {
      const s = sessionFixture('t-mut');
      await store.createSession(s, { wantsWork: true }, [say('hello')]);
      const r = await store.mutateSession(s.id, () => ({
        change: {
          state: 'PLANNING',
          plan: { id: 'p1', createTime: 1, steps: [] },
          lastSeq: 1,
          activities: [say('a'), say('b'), say('c')],
        },
        value: 42,
      }));
      assert.equal(r?.value, 42);
      assert.equal(r?.record.session.state, 'PLANNING');
      assert.deepEqual(r?.record.work.plan, { id: 'p1', createTime: 1, steps: [] });
      assert.deepEqual(
        r?.activities.map((a) => a.seq),
        [2, 3, 4],
      );
      assert.ok(r!.record.session.updateTime > s.updateTime);
      // a mutator that throws changes nothing
      await assert.rejects(
        store.mutateSession(s.id, () => {
          throw new StintError('FAILED_PRECONDITION', 'no');
        }),
        StintError,
      );
      const all = await store.listActivities(s.id, { limit: 100 });
      assert.deepEqual(
        all.map((a) => a.seq),
        [1, 2, 3, 4],
      );
      for (let i = 1; i < all.length; i++) assert.ok(all[i]!.createTime - all[i - 1]!.createTime >= 1000);
      assert.deepEqual(
        all.map((a) => (a.content as { agentMessage: string }).agentMessage),
        ['hello', 'a', 'b', 'c'],
      );
      const got = await store.getActivity(s.id, all[2]!.id);
      assert.deepEqual(got, all[2]);
      const later = await store.listActivities(s.id, { afterTime: all[1]!.createTime, limit: 100 });
      assert.deepEqual(
        later.map((a) => a.seq),
        [3, 4],
      );
      const paged = await store.listActivities(s.id, { afterSeq: 2, limit: 1 });
      assert.deepEqual(
        paged.map((a) => a.seq),
        [3],
      );
    });

    test("a session's model usage is stored with a mutation and read back on every path", async () => {
      const s = sessionFixture('t-usage');
      const created = await store.createSession(s, { wantsWork: true }, []);
      assert.equal(created.session.usage, undefined);
      const usage = { model: 'ollama:m', modelTurns: 2, inputTokens: 10, outputTokens: 5, totalTokens: 15 };
      const r = await store.mutateSession(s.id, () => ({ change: { usage } }));
      assert.deepEqual(r?.record.session.usage, usage);
      assert.deepEqual((await store.getSession(s.id))?.session.usage, usage);
      const listed = await store.listSessions('t-usage', { limit: 10, archived: false });
      assert.deepEqual(listed[0]?.usage, usage);
    });

    test('concurrent mutations never lose or duplicate an activity', async () => {
      const s = sessionFixture('t-conc');
      await store.createSession(s, { wantsWork: false }, []);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.mutateSession(s.id, () => ({ change: { activities: [say(String(i))] } })),
        ),
      );
      const all = await store.listActivities(s.id, { limit: 100 });
      assert.deepEqual(
        all.map((a) => a.seq),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.equal(new Set(all.map((a) => (a.content as { agentMessage: string }).agentMessage)).size, 40);
    });

    /** Leases every session other tests left wanting work, so only the test's own can be claimed. */
    /**
     * Takes every session earlier tests left wanting work out of the queue for good: a drained session
     * must not come back when a later test releases all leases and its backoff (2 s) has passed, which
     * on a busy machine it has.
     */
    async function drain(): Promise<void> {
      for (let i = 0; i < 1000; i++) {
        const id = await store.claimSession('drainer', 3_600_000);
        if (!id) break;
        await store.mutateSession(id, () => ({ change: { wantsWork: false } }));
        await store.releaseLease(id, 'drainer');
      }
    }

    test('a session is claimed by one worker at a time; the lease guards its writes', async () => {
      await drain();
      const s = sessionFixture('t-q');
      await store.createSession(s, { wantsWork: true }, []);
      const claims = await Promise.all(['w1', 'w2', 'w3'].map((w) => store.claimSession(w, 60_000)));
      const winners = claims.filter((c) => c === s.id);
      assert.equal(winners.length, 1);
      const owner = ['w1', 'w2', 'w3'][claims.indexOf(s.id)]!;
      const other = owner === 'w1' ? 'w2' : 'w1';
      await assert.rejects(
        store.mutateSession(s.id, () => ({ change: { title: 'x' } }), { leaseOwner: other }),
        LeaseLostError,
      );
      assert.ok(await store.mutateSession(s.id, () => ({ change: { title: 'y' } }), { leaseOwner: owner }));
      assert.equal(await store.renewLease(s.id, other, 1000), false);
      assert.equal(await store.renewLease(s.id, owner, 1000), true);
      await store.releaseLease(s.id, owner);
      assert.equal(await store.claimSession('w9', 60_000), s.id);
      await store.releaseLease(s.id, 'w9');
      await store.mutateSession(s.id, () => ({ change: { wantsWork: false } }));
      assert.equal(await store.claimSession('w9', 60_000), undefined);
    });

    test('an expired lease can be claimed again', async () => {
      await drain();
      const s = sessionFixture('t-exp');
      await store.createSession(s, { wantsWork: true }, []);
      assert.equal(await store.claimSession('dead', 1, NO_WAIT), s.id);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(await store.claimSession('alive', 60_000), s.id);
      await store.mutateSession(s.id, () => ({ change: { wantsWork: false } }));
    });

    test('only expired leases are released', async () => {
      await drain();
      const live = sessionFixture('t-rel');
      const dead = sessionFixture('t-rel');
      await store.createSession(live, { wantsWork: true }, []);
      await store.createSession(dead, { wantsWork: true }, []);
      assert.equal(await store.claimSession('alive', 60_000), live.id);
      assert.equal(await store.claimSession('dead', 1, NO_WAIT), dead.id);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(await store.releaseExpiredLeases(), 1);
      assert.equal(await store.renewLease(live.id, 'alive', 60_000), true);
      assert.equal(await store.renewLease(dead.id, 'dead', 60_000), false);
      assert.equal(await store.claimSession('next', 60_000), dead.id);
      for (const s of [live, dead]) await store.mutateSession(s.id, () => ({ change: { wantsWork: false } }));
    });

    test('claims count attempts and back off; a failure is recorded and waits; a clean stop resets', async () => {
      await drain();
      const s = sessionFixture('t-attempts');
      await store.createSession(s, { wantsWork: true }, []);
      const backoff = { baseMs: 60_000, maxMs: 600_000 };
      assert.equal(await store.claimSession('w1', 60_000, backoff), s.id);
      let r = await store.getSession(s.id);
      assert.equal(r?.work.attempts, 1);
      // Pessimistic: were w1 to die now, its session would not be retried at once.
      assert.match(r?.work.lastError ?? '', /stopped before the attempt ended/);
      await store.releaseAllLeases();
      assert.equal(await store.claimSession('w2', 60_000, backoff), undefined, 'not due yet');

      // A failed attempt: its error is kept and the next claim waits for the backoff. The waits are
      // seconds, not milliseconds: the claim right after a release must still fall inside them when a
      // busy machine takes a second or more between two statements.
      const fast = { baseMs: 3000, maxMs: 60_000 };
      const untilClaimed = async (): Promise<string | undefined> => {
        const deadline = Date.now() + 120_000;
        let got: string | undefined;
        while (!got && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 25));
          got = await store.claimSession('w1', 60_000, fast);
        }
        return got;
      };
      const t = sessionFixture('t-attempts');
      await store.createSession(t, { wantsWork: true }, []);
      assert.equal(await store.claimSession('w1', 60_000, fast), t.id);
      await store.releaseLease(t.id, 'w1', { kind: 'failed', error: 'boom' }, fast);
      assert.equal(await store.claimSession('w1', 60_000, fast), undefined, 'backing off');
      r = await store.getSession(t.id);
      assert.equal(r?.work.lastError, 'boom');
      assert.equal(r?.work.attempts, 1);
      let again = await untilClaimed();
      assert.equal(again, t.id);
      assert.equal((await store.getSession(t.id))?.work.attempts, 2);
      // (How long each wait is, is the store's clock's business: PostgreSQL's differs from ours.)
      await store.releaseLease(t.id, 'w1', { kind: 'failed', error: 'boom 2' }, fast);
      assert.equal(await store.claimSession('w1', 60_000, fast), undefined, 'backing off again');
      again = await untilClaimed();
      assert.equal(again, t.id);
      assert.equal((await store.getSession(t.id))?.work.attempts, 3);
      // Interrupted (a shutdown): not counted, no wait.
      await store.releaseLease(t.id, 'w1', { kind: 'interrupted' }, fast);
      assert.equal((await store.getSession(t.id))?.work.attempts, 2);
      assert.equal(await store.claimSession('w1', 60_000, fast), t.id);
      // A clean stop starts over.
      await store.releaseLease(t.id, 'w1');
      r = await store.getSession(t.id);
      assert.equal(r?.work.attempts, 0);
      assert.equal(r?.work.lastError, undefined);
      for (const x of [s, t]) await store.mutateSession(x.id, () => ({ change: { wantsWork: false } }));
    });

    test("the agent's transcript is appended per step, read from its last base, and never part of a session read", async () => {
      const s = sessionFixture('t-turns');
      await store.createSession(s, { wantsWork: true }, []);
      assert.deepEqual(await store.loadTranscript(s.id), []);
      const base = { kind: 'base' as const, body: { v: 1, messages: ['task'] } };
      const d1 = { kind: 'delta' as const, body: { append: { messages: ['a'] } } };
      const d2 = { kind: 'delta' as const, body: { set: { phase: 'x' }, append: { messages: ['b'] } } };
      for (const transcript of [base, d1, d2]) {
        await store.mutateSession(s.id, () => ({ change: { transcript, activities: [say('step')] } }));
      }
      assert.deepEqual(await store.loadTranscript(s.id), [base, d1, d2]);
      // A new base replaces what came before it.
      const rebased = { kind: 'base' as const, body: { v: 1, messages: ['digest'] } };
      await store.mutateSession(s.id, () => ({ change: { transcript: rebased } }));
      await store.mutateSession(s.id, () => ({ change: { transcript: d1 } }));
      assert.deepEqual(await store.loadTranscript(s.id), [rebased, d1]);
      const got = await store.getSession(s.id);
      assert.equal(JSON.stringify(got).includes('digest'), false);
      assert.equal(await store.deleteSession(s.id), true);
      assert.deepEqual(await store.loadTranscript(s.id), []);
    });

    test('a workspace snapshot is committed with its step, replaced, and deleted with the session', async () => {
      const s = sessionFixture('t-ws');
      await store.createSession(s, { wantsWork: false }, []);
      assert.equal(await store.getWorkspaceSnapshot(s.id), undefined);
      const snap = { baseCommitId: 'a'.repeat(40), treeId: 'b'.repeat(40), patch: 'diff --git a/x b/x\n' };
      await assert.rejects(
        store.mutateSession(s.id, () => {
          throw new StintError('ABORTED', 'no');
        }),
      );
      const r = await store.mutateSession(s.id, () => ({
        change: { workspace: snap, activities: [say('w')] },
      }));
      assert.equal(r?.activities.length, 1);
      assert.deepEqual(await store.getWorkspaceSnapshot(s.id), snap);
      const next = { ...snap, treeId: 'c'.repeat(40), patch: '' };
      await store.mutateSession(s.id, () => ({ change: { workspace: next } }));
      assert.deepEqual(await store.getWorkspaceSnapshot(s.id), next);
      assert.equal(await store.deleteSession(s.id), true);
      assert.equal(await store.getWorkspaceSnapshot(s.id), undefined);
    });

    test('mirror pins are counted per commit, go with their sessions, and are dropped only at zero', async () => {
      const a = sessionFixture('t-pins');
      const b = sessionFixture('t-pins');
      const c = sessionFixture('t-pins');
      for (const s of [a, b, c]) await store.createSession(s, { wantsWork: false }, []);
      const m = 'dir1/github_acme_demo-0123';
      const base = 'a'.repeat(40);
      const other = 'b'.repeat(40);
      await store.pins.addPin(m, base, a.id);
      await store.pins.addPin(m, base, a.id); // idempotent
      await store.pins.addPin(m, base, b.id);
      await store.pins.addPin('dir2/github_acme_demo-0123', base, c.id); // another data dir's mirror
      await store.pins.addPins(m, [
        { commitId: other, sessionId: c.id },
        { commitId: other, sessionId: 'no-such-session' },
      ]);
      assert.deepEqual(await store.pins.pinCounts(m), { [base]: 2, [other]: 1 });
      assert.deepEqual(await store.pins.unreferencedPins(m, 10), []);
      assert.equal(await store.pins.dropPin(m, base), false, 'a needed commit is never dropped');

      assert.equal(await store.deleteSession(a.id), true);
      assert.equal(await store.deleteSession(c.id), true);
      assert.deepEqual(await store.pins.pinCounts(m), { [base]: 1, [other]: 0 });
      assert.deepEqual(await store.pins.unreferencedPins(m, 10), [other]);
      assert.deepEqual(await store.pins.unreferencedPins('dir2/github_acme_demo-0123', 10), [base]);
      assert.equal(await store.pins.dropPin(m, other), true);
      assert.deepEqual(await store.pins.pinCounts(m), { [base]: 1 });

      // Pinned again after its count reached zero (before the janitor dropped it): it stays.
      await store.deleteSession(b.id);
      const d = sessionFixture('t-pins');
      await store.createSession(d, { wantsWork: false }, []);
      assert.deepEqual(await store.pins.unreferencedPins(m, 10), [base]);
      await store.pins.addPin(m, base, d.id);
      assert.equal(await store.pins.dropPin(m, base), false);
      assert.deepEqual(await store.pins.pinCounts(m), { [base]: 1 });
    });

    test('delete removes the session and its activities', async () => {
      const s = sessionFixture('t-del');
      await store.createSession(s, { wantsWork: false }, [say('x')]);
      assert.equal(await store.deleteSession(s.id, 'other'), false);
      assert.equal(await store.deleteSession(s.id, 't-del'), true);
      assert.equal(await store.getSession(s.id), undefined);
      assert.deepEqual(await store.listActivities(s.id, { limit: 10 }), []);
      assert.equal(await store.mutateSession(s.id, () => ({ change: {} })), undefined);
    });

    test('counts sessions by state', async () => {
      const counts = await store.countSessionsByState('t-mut');
      assert.equal(counts.PLANNING, 1);
    });
  });
}
