// Whether a process id no longer names a live process (signal 0 checks without sending anything).
// EPERM means it exists as another user's: not gone. A zombie (exited, not yet reaped by its
// parent) answers signal 0 too, but will never do anything again: gone, where /proc says so.
import { readFileSync } from 'node:fs';

export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
