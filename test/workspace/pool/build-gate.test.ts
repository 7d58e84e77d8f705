// Build slots: handed out in arrival order, given back exactly once, and a place in line given up
// (or a slot granted to someone who no longer wants it) goes to the next in line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BuildGate } from '../../../src/workspace/pool/build-gate.ts';

test('slots go in arrival order, and a release is counted once', async () => {
  const gate = new BuildGate(1);
  const first = gate.tryAcquire();
  assert.ok(first);
  assert.equal(gate.tryAcquire(), undefined);
  const order: string[] = [];
  const a = gate.request();
  const b = gate.request();
  void a.granted.then(() => order.push('a'));
  void b.granted.then(() => order.push('b'));
  // Nobody jumps the line while others wait.
  first();
  first(); // a second call gives nothing back
  const releaseA = await a.granted;
  assert.deepEqual(order, ['a']);
  assert.equal(gate.tryAcquire(), undefined);
  releaseA();
  (await b.granted)();
  assert.deepEqual(order, ['a', 'b']);
  const again = gate.tryAcquire();
  assert.ok(again, 'the slot is free again');
  assert.equal(gate.tryAcquire(), undefined, 'and only one');
  again();
});

test('a cancelled request leaves the line, or gives back a slot it was already granted', async () => {
  const gate = new BuildGate(1);
  const held = gate.tryAcquire()!;
  const gone = gate.request();
  const next = gate.request();
  gone.cancel();
  held();
  (await next.granted)();
  const granted = gate.request(); // free now: granted at once
  const release = await granted.granted;
  granted.cancel(); // the slot comes back
  release(); // and a late release does not count twice
  const one = gate.tryAcquire();
  assert.ok(one);
  assert.equal(gate.tryAcquire(), undefined);
  one();
  assert.throws(() => new BuildGate(0), /build slots/);
});

test('property: never more holders than slots, and every request is served once all release', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.constantFrom('request', 'cancel', 'release'), { maxLength: 40 }),
      async (slots, ops) => {
        const gate = new BuildGate(slots);
        let holding = 0;
        const held: Array<() => void> = [];
        const waiting: Array<{ cancel(): void; done: boolean }> = [];
        const settle = () => new Promise((r) => setImmediate(r));
        const ask = () => {
          const req = gate.request();
          const entry = { cancel: req.cancel, done: false };
          void req.granted.then((release) => {
            entry.done = true;
            holding++;
            assert.ok(holding <= slots, `${holding} holders of ${slots} slots`);
            held.push(() => {
              holding--;
              release();
            });
          });
          waiting.push(entry);
        };
        for (const op of ops) {
          if (op === 'request') ask();
          else if (op === 'cancel') {
            const w = waiting.find((x) => !x.done);
            if (w) {
              w.done = true;
              w.cancel();
            }
          } else held.shift()?.();
          await settle();
        }
        // Drain: everything still waiting is served as holders give back.
        for (let i = 0; i < 200 && (held.length > 0 || waiting.some((w) => !w.done)); i++) {
          held.shift()?.();
          await settle();
        }
        assert.equal(held.length, 0);
        assert.ok(waiting.every((w) => w.done));
        const all = Array.from({ length: slots }, () => gate.tryAcquire());
        assert.ok(
          all.every((r) => r !== undefined),
          'every slot came back',
        );
      },
    ),
    { numRuns: 200 },
  );
});
