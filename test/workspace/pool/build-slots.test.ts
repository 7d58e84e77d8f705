// A burst on one source writes only as many new checkouts as there are build slots: a session
// that finds no pooled checkout and no free slot takes the first checkout of its source that comes
// back (reset, nothing of the previous session in it), or builds once a slot frees, whichever is
// first. Background refills never take a slot a session waits for.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuildGate } from '../../../src/workspace/pool/build-gate.ts';
import { CpuIdle } from '../../../src/workspace/pool/cpu-idle.ts';
import { workspacesFixture } from '../fixture.ts';
import { asCommand } from '../helpers.ts';

const fx = workspacesFixture();
const workspaces = (name: string, gate: BuildGate) => fx.workspaces(name, { buildSlots: gate });
const source = (branch?: string) => fx.source(branch);

/** Whether `p` settles within a few turns of the event loop and a short pause (it must not). */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await sleep(200);
  return done;
}

test('with every slot taken, a session waits and gets the next checkout of its source given back', async () => {
  const gate = new BuildGate(1);
  const ws = workspaces('arrival', gate);
  const first = await ws.prepare({ sessionId: 'a1', source: source() });
  assert.equal(first.via, 'materialized');
  // Written by a command the change watcher did not follow.
  await asCommand(ws.dirOf('a1'), () => writeFile(join(ws.dirOf('a1'), 'left-behind.txt'), 'a1\n'));
  // Another source's build holds the only slot.
  const held = gate.tryAcquire();
  assert.ok(held);
  try {
    const second = ws.prepare({ sessionId: 'a2', source: source() });
    assert.equal(await settles(second), false, 'a session without a slot wrote a checkout anyway');
    assert.equal(await ws.release('a1'), 'pooled');
    const got = await second; // the slot is still held: only the checkout given back can serve it
    assert.equal(got.via, 'pool');
    assert.equal(existsSync(join(ws.dirOf('a2'), 'left-behind.txt')), false);
    assert.equal(await readFile(join(ws.dirOf('a2'), 'README.md'), 'utf8'), '# Demo\n\nHello.\n');
  } finally {
    held();
  }
});

test('with no checkout coming back, a waiting session builds as soon as a slot frees', async () => {
  const gate = new BuildGate(1);
  const ws = workspaces('slot', gate);
  const held = gate.tryAcquire()!;
  const waiting = ws.prepare({ sessionId: 'b1', source: source('feature') });
  try {
    assert.equal(await settles(waiting), false);
  } finally {
    held();
  }
  const got = await waiting;
  assert.equal(got.via, 'materialized');
  assert.equal(await readFile(join(ws.dirOf('b1'), 'FEATURE.md'), 'utf8'), 'feature branch only\n');
  // Its slot was given back: the next build gets it at once.
  const again = gate.tryAcquire();
  assert.ok(again, 'the build kept its slot');
  again();
});

test('a checkout given back wakes one waiting session, and each hand-over the next, with no polling', {
  timeout: 120_000,
}, async () => {
  // Waiters never look again unwoken here: a lost wake-up would hang the test (bounded by its timeout).
  const gate = new BuildGate(1);
  const ws = fx.workspaces('handover', { buildSlots: gate, poolRecheckMs: 3_600_000 });
  await ws.prepare({ sessionId: 'h0', source: source() });
  const held = gate.tryAcquire();
  assert.ok(held);
  try {
    const waiting = new Map(
      ['h1', 'h2', 'h3'].map((id) => [id, ws.prepare({ sessionId: id, source: source() }).then(() => id)]),
    );
    assert.equal(await settles(Promise.race(waiting.values())), false);
    let holder = 'h0';
    while (waiting.size > 0) {
      assert.equal(await ws.release(holder), 'pooled');
      holder = await Promise.race(waiting.values());
      waiting.delete(holder);
      // One checkout: the others still wait.
      if (waiting.size > 0) assert.equal(await settles(Promise.race(waiting.values())), false);
    }
    assert.equal(await ws.release(holder), 'pooled');
  } finally {
    held();
  }
});

test('only checkouts that will come back count as out (one kept for retention does not)', async () => {
  // A CPU with no idle time; the policy asks it only when a checkout of the source is out.
  let reads = 0;
  let now = 0;
  const busy = new CpuIdle(
    1,
    () => {
      reads++;
      return 0;
    },
    () => (now += 10),
  );
  const ws = fx.workspaces('busy', { buildSlots: new BuildGate(1), cpu: busy });
  assert.equal((await ws.prepare({ sessionId: 'k1', source: source() })).via, 'materialized');
  // k1 is over but kept (retention): nothing of the source is out, so k2 builds without asking.
  ws.kept('k1');
  let before = reads;
  assert.equal((await ws.prepare({ sessionId: 'k2', source: source() })).via, 'materialized');
  assert.equal(reads, before, 'a session weighed waiting for a checkout kept for retention');
  // k2 is out: the next session weighs waiting for it (here the CPU is busy, so it waits).
  before = reads;
  const k3 = ws.prepare({ sessionId: 'k3', source: source() });
  let settled = false;
  void k3.finally(() => {
    settled = true;
  });
  // Bounded: a session that never weighs it ends (builds) without reading the CPU.
  while (reads === before && !settled) await sleep(10);
  assert.ok(reads > before, 'a session did not weigh waiting for a running checkout');
  await ws.release('k2');
  await k3;
});

test('a session writing a new checkout takes whichever comes first, it or one given back; the other stays pooled', async () => {
  const gate = new BuildGate(1);
  const ws = workspaces('either', gate);
  await ws.prepare({ sessionId: 'e1', source: source() });
  // The slot, before the pool's refill (250 ms later) can write a spare.
  const held = gate.tryAcquire();
  assert.ok(held);
  const poolDir = join(fx.root, 'either', '.pool');
  const building = async () =>
    (await readdir(poolDir).catch(() => [] as string[])).some((n) => n.startsWith('.tmp-'));
  const entries = async () => {
    const out: string[] = [];
    // <pool>/<mirror>/<branch>/<entry>
    for (const mirror of await readdir(poolDir).catch(() => [] as string[])) {
      if (mirror.startsWith('.')) continue;
      for (const branch of await readdir(join(poolDir, mirror))) {
        for (const e of await readdir(join(poolDir, mirror, branch))) if (!e.startsWith('.')) out.push(e);
      }
    }
    return out;
  };
  // e2 finds nothing ready (e1 is out) and, given the slot, builds; e1 comes back while that build
  // runs (or just as it lands): e2 takes one of them.
  const e2 = ws.prepare({ sessionId: 'e2', source: source() });
  assert.equal(await settles(e2), false);
  held();
  for (let i = 0; i < 2000 && !(await building()); i++) await sleep(2);
  assert.equal(await ws.release('e1'), 'pooled');
  const got = await e2;
  assert.ok(got.via === 'pool' || got.via === 'materialized', got.via);
  assert.equal(await readFile(join(ws.dirOf('e2'), 'README.md'), 'utf8'), '# Demo\n\nHello.\n');
  // Nothing written is thrown away: with e2 out, the other checkout lands in the pool.
  for (let i = 0; i < 500 && ((await entries()).length !== 1 || (await building())); i++) await sleep(20);
  assert.equal((await entries()).length, 1);
  assert.equal(await ws.release('e2'), 'pooled');
  // (A given-back checkout is claimed out of the pool while it is reset.)
  for (let i = 0; i < 500 && ((await entries()).length !== 2 || (await building())); i++) await sleep(20);
  assert.equal((await entries()).length, 2);
});

test('a session whose own build fails gets the failure, not a wait for a build that never comes', async () => {
  const ws = workspaces('failing', new BuildGate(1));
  await ws.prepare({ sessionId: 'f1', source: source() });
  // f1 stays out; the mirror loses its objects and the remote is out of reach: f2's build fails.
  const mirrors = join(fx.root, 'failing', '.mirrors');
  const away = `${fx.remote.url}-away`;
  await rename(fx.remote.url, away);
  try {
    for (const m of await readdir(mirrors))
      await rm(join(mirrors, m, 'objects'), { recursive: true, force: true });
    await assert.rejects(ws.prepare({ sessionId: 'f2', source: source() }));
  } finally {
    await rename(away, fx.remote.url);
  }
});
