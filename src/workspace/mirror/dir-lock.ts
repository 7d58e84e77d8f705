// A lock between processes sharing a data dir: a directory created atomically with mkdir, holding
// the owner's pid. A lock whose owner is gone (or that outlived `staleMs`) is taken over.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processGone } from '../process-gone.ts';

export interface DirLockOptions {
  /** Give up waiting after this long (default 10 minutes). */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned (default: timeoutMs). */
  staleMs?: number;
  pollMs?: number;
}

/** Runs `fn` while holding the lock at `path` (a directory that must not exist otherwise). */
export async function withDirLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: DirLockOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const staleMs = opts.staleMs ?? timeoutMs;
  const pollMs = opts.pollMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    if (await tryAcquire(path)) break;
    if (await isAbandoned(path, staleMs)) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path}`);
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  try {
    await mkdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  await writeFile(join(path, 'owner'), `${process.pid}\n`);
  return true;
}

async function isAbandoned(path: string, staleMs: number): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return false; // released meanwhile: retry at once
  if (Date.now() - st.mtimeMs > staleMs) return true;
  const pid = Number((await readFile(join(path, 'owner'), 'utf8').catch(() => '')).trim());
  // No owner file yet: its creator is between mkdir and writeFile; give it time.
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - st.mtimeMs > 5000;
  if (pid === process.pid) return false;
  return processGone(pid);
}
