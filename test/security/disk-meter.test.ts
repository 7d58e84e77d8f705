/**
 * The disk meter walks a checkout only when the filesystem's free space says the limit may have been
 * crossed, or when its last walk is too old; and it always walks when free space cannot be read. The
 * free space and the walk are injected, so that nothing here depends on what else the machine writes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiskMeter } from '../../src/security/disk-meter.ts';

const MiB = 1024 * 1024;

function fake(opts: { free: number; used: number; recheckMs?: number }) {
  const state = { free: opts.free, used: opts.used, now: 0, walks: 0, statfsFails: false };
  const meter = new DiskMeter('/nowhere', 100 * MiB, {
    recheckMs: opts.recheckMs ?? 30_000,
    initialFree: opts.free,
    freeBytes: async () => {
      if (state.statfsFails) throw new Error('ENOSYS');
      return state.free;
    },
    walk: async () => {
      state.walks++;
      return state.used;
    },
    now: () => state.now,
  });
  return { state, meter };
}

test('no walk while the free space dropped by less than a quarter of the limit', async () => {
  const { state, meter } = fake({ free: 1000 * MiB, used: 10 * MiB });
  state.free -= 20 * MiB;
  assert.equal(await meter.over(), false);
  state.free -= 5 * MiB; // 25 MiB in all: still not more than a quarter
  assert.equal(await meter.over(), false);
  assert.equal(state.walks, 0);
});

test('a drop beyond the headroom walks, and the walk decides', async () => {
  const { state, meter } = fake({ free: 1000 * MiB, used: 30 * MiB });
  state.free -= 26 * MiB;
  assert.equal(await meter.over(), false, 'measured 30 MiB of 100');
  assert.equal(state.walks, 1);
  // Headroom now (100 - 30) / 2 = 35 MiB from the free space at that walk.
  state.free -= 35 * MiB;
  assert.equal(await meter.over(), false);
  assert.equal(state.walks, 1);
  state.free -= 1 * MiB;
  state.used = 101 * MiB;
  assert.equal(await meter.over(), true);
  assert.equal(state.walks, 2);
});

test('a drop caused by other writers only brings the walk forward', async () => {
  const { state, meter } = fake({ free: 1000 * MiB, used: 5 * MiB });
  state.free -= 500 * MiB; // someone else filled the disk
  assert.equal(await meter.over(), false);
  assert.equal(state.walks, 1);
});

test('space freed elsewhere cannot hide growth for longer than the recheck interval', async () => {
  const { state, meter } = fake({ free: 1000 * MiB, used: 5 * MiB, recheckMs: 30_000 });
  state.used = 500 * MiB; // grew, while another checkout freed as much
  state.now = 29_999;
  assert.equal(await meter.over(), false);
  assert.equal(state.walks, 0);
  state.now = 30_000;
  assert.equal(await meter.over(), true);
  assert.equal(state.walks, 1);
});

test('recheck 0 walks every time; an unreadable free space walks every time', async () => {
  const every = fake({ free: 1000 * MiB, used: 1, recheckMs: 0 });
  for (let i = 0; i < 3; i++) await every.meter.over();
  assert.equal(every.state.walks, 3);
  const blind = fake({ free: 1000 * MiB, used: 1 });
  blind.state.statfsFails = true;
  for (let i = 0; i < 3; i++) await blind.meter.over();
  assert.equal(blind.state.walks, 3);
});

test('on a real directory the default walk measures what was written', async () => {
  const dir = join(tmpdir(), `stint-disk-meter-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'big'), Buffer.alloc(3 * MiB, 1));
    // recheck 0: the walk runs whatever the free space (other writers) says.
    const meter = new DiskMeter(dir, 2 * MiB, { recheckMs: 0 });
    assert.equal(await meter.over(), true);
    const roomy = new DiskMeter(dir, 8 * MiB, { recheckMs: 0 });
    assert.equal(await roomy.over(), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
