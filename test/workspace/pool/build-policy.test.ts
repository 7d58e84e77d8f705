// When a session without a ready checkout waits for one to come back instead of building: while
// the CPU is busy, or while idle if the checkouts out serve the sessions waiting sooner than a
// build; only if something of its source is out and checkouts do come back, and never past twenty
// builds' time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildGate } from '../../../src/workspace/pool/build-gate.ts';
import { BuildPolicy } from '../../../src/workspace/pool/build-policy.ts';
import { CpuIdle } from '../../../src/workspace/pool/cpu-idle.ts';

/** A CPU whose idle counter advances by `rate.value` cores for each millisecond of a fake clock. */
function fakeCpu(rate: { value: number }) {
  let now = 0;
  let idle = 0;
  const cpu = new CpuIdle(
    100,
    () => idle,
    () => now,
  );
  return {
    cpu,
    advance(ms: number) {
      now += ms;
      idle += ms * rate.value;
    },
  };
}

test('idle cores are measured over the last complete window', () => {
  const rate = { value: 2 };
  const c = fakeCpu(rate);
  c.advance(50);
  assert.equal(c.cpu.idleCores(), Number.POSITIVE_INFINITY, 'no complete window yet');
  c.advance(100);
  assert.equal(c.cpu.idleCores(), 2);
  rate.value = 0.25;
  c.advance(100);
  assert.equal(c.cpu.idleCores(), 0.25);
  c.advance(10);
  assert.equal(c.cpu.idleCores(), 0.25, 'within a window the last figure stands');
});

test('wait only with a busy CPU, something of the source out, and not past the longest wait', async () => {
  const rate = { value: 0.1 }; // both cores busy
  const c = fakeCpu(rate);
  const policy = new BuildPolicy(new BuildGate(1), c.cpu);
  c.advance(150);
  assert.equal(policy.keepWaiting(0, 0), false, 'nothing can come back: build');
  assert.equal(policy.keepWaiting(0, 3), true, 'busy CPU, checkouts out: wait');
  assert.equal(policy.keepWaiting(policy.maxWaitMs, 3), false, 'waited long enough');
  assert.equal(policy.keepWaiting(1000, 3, 100), true, 'checkouts keep coming back: wait on');
  assert.equal(
    policy.keepWaiting(1000, 3, policy.returnHorizonMs),
    false,
    'none came back for a while: those out are held, build',
  );
  rate.value = 1.5;
  c.advance(150);
  assert.equal(policy.keepWaiting(0, 3), false, 'idle CPU: build at once');
  // The longest wait is twenty builds' time, at least 2 s, at most a minute.
  assert.equal(policy.maxWaitMs, 2000);
  const t0 = performance.now();
  await policy.timed(() => new Promise((r) => setTimeout(r, 600)));
  const took = performance.now() - t0;
  // The policy times the build inside the test's own interval (on a busy machine, a few ms less).
  assert.ok(
    policy.maxWaitMs >= 20 * 599 && policy.maxWaitMs <= Math.min(60_000, 20 * took + 1),
    `${policy.maxWaitMs} vs ${took}`,
  );
});

test('idle cores: build only when the sessions waiting would wait longer than a build takes', async () => {
  const rate = { value: 1.5 }; // idle
  const c = fakeCpu(rate);
  const policy = new BuildPolicy(new BuildGate(1), c.cpu, 2);
  c.advance(150);
  assert.equal(policy.keepWaiting(0, 3, 0, 100), false, 'no build timed yet: idle CPU builds');
  await policy.timed(() => new Promise((r) => setTimeout(r, 50)));
  assert.equal(policy.keepWaiting(0, 3, 0, 1), true, 'the checkouts out serve everyone sooner: wait');
  assert.equal(policy.keepWaiting(0, 3, 0, 60_000), false, 'a long backlog: build');
  assert.equal(policy.keepWaiting(0, 3), false, 'backlog unknown (no session timed): build');
  rate.value = 0.1;
  c.advance(150);
  assert.equal(policy.keepWaiting(0, 3, 0, 60_000), true, 'busy CPU: wait whatever the backlog');
  assert.equal(policy.keepWaiting(0, 0, 0, 1), false, 'nothing out: build whatever the backlog');
});

test('idle cores: a build pays only if the CPU it puts to work is more than it costs', async () => {
  const rate = { value: 0.5 }; // half a core idle
  const c = fakeCpu(rate);
  const policy = new BuildPolicy(new BuildGate(1), c.cpu, 2);
  c.advance(150);
  await policy.timed(() => new Promise((r) => setTimeout(r, 100)));
  // The build's ~100 ms on both cores (~200 ms) against half a core for (backlog − build).
  assert.equal(
    policy.keepWaiting(0, 3, 0, 300),
    true,
    'a backlog longer than a build, too short to pay: wait',
  );
  assert.equal(policy.keepWaiting(0, 3, 0, 2000), false, 'long enough to pay: build');
  rate.value = 1.5;
  c.advance(150);
  assert.equal(policy.keepWaiting(0, 3, 0, 250), true, 'one more checkout uses at most a core: wait');
  assert.equal(policy.keepWaiting(0, 3, 0, 800), false, 'a core for ~700 ms pays for ~200: build');
});
