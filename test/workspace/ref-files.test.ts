// Mirror refs written straight to their files (src/workspace/mirror/ref-files.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRefFile, writeRefFile } from '../../src/workspace/mirror/ref-files.ts';

test('a ref written while git empties and removes its directory is written all the same', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stint-refs-race-'));
  try {
    const dir = join(root, 'refs', 'stint', 'commit');
    let stop = false;
    // What git does after deleting or packing the last ref of a directory: remove the directory.
    const remover = (async () => {
      for (let i = 0; i < 100_000 && !stop; i++) {
        await rmdir(dir).catch(() => undefined);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const ids = Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(40, '0'));
    try {
      // Each ref is deleted right after it is written, so that the directory keeps emptying.
      await Promise.all(
        ids.map(async (id) => {
          await writeRefFile(root, `refs/stint/commit/${id}`, id);
          assert.equal(await readRefFile(root, `refs/stint/commit/${id}`), id);
          await rm(join(dir, id), { force: true });
        }),
      );
    } finally {
      stop = true;
      await remover;
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
