// What the change watcher needs of the system: the kernel's inotify limits, and the barrier
// directories that earlier watcher processes left behind.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processGone } from '../process-gone.ts';

// Barrier directories are named after their process: those of processes gone (killed before they
// could remove theirs) are removed by the next watcher to start.
export const BARRIER_PREFIX = 'stint-watch-';

export function sweepBarrierDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^stint-watch-(\d+)-[A-Za-z0-9]{6}$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !processGone(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

// How many inotify watches the user may hold (the kernel's default elsewhere).
export function watchLimit(): number {
  return inotifySetting('max_user_watches', 8192);
}

// The kernel's inotify queue length (events beyond it are dropped, with one overflow event that
// libuv does not pass on).
export function queueLimit(): number {
  return inotifySetting('max_queued_events', 16384);
}

// /proc/sys/fs/inotify/<name>, or `otherwise` (not Linux, or no /proc).
function inotifySetting(name: string, otherwise: number): number {
  try {
    const n = Number(readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // Not readable: the default.
  }
  return otherwise;
}
