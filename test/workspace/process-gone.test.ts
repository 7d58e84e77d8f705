import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { processGone } from '../../src/workspace/process-gone.ts';

test('a live process is not gone; one exited but not yet reaped (a zombie) is', async () => {
  assert.equal(processGone(process.pid), false);
  // A grandchild that exits at once while its parent (a shell) sleeps without reaping it.
  const parent = spawn('/bin/sh', ['-c', 'sh -c "exit 0" & echo $!; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
    );
    for (let i = 0; i < 200 && !processGone(pid); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(processGone(pid), true, 'the zombie counts as gone');
    assert.equal(processGone(parent.pid!), false, 'its parent still runs');
  } finally {
    parent.kill('SIGKILL');
  }
});
