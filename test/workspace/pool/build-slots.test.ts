// A burst on one source writes only as many new checkouts as there are build slots: a session
// that finds no pooled checkout and no free slot takes the first checkout of its source that comes
// back (reset, nothing of the previous session in it), or builds once a slot frees, whichever is
// first. Background refills never take a slot a session waits for.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuildGate } from '../../../src/workspace/pool/build-gate.ts';
import { workspacesFixture } from '../fixture.ts';

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
  await writeFile(join(ws.dirOf('a1'), 'left-behind.txt'), 'a1\n');
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
