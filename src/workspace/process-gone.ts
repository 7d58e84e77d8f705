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
  return procStatFields(pid)?.[0] === 'Z';
}

/**
 * The fields of /proc/PID/stat after the command name (state first, then the parent's pid, …), or
 * undefined when it cannot be read. "pid (comm) state ppid …": comm may hold spaces and
 * parentheses, so the fields start after the last ')'.
 */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
