// Whether a process id no longer names a live process (signal 0 checks without sending anything).
// EPERM means it exists as another user's: not gone.
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
