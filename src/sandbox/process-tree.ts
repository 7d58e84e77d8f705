// The descendants of a process, read from /proc. A sandbox kills them by pid as well as by process
// group, because a sandboxed command may start its own session (bubblewrap's --new-session does),
// which takes it out of the group that `kill(-pgid)` reaches.
import { readdirSync } from 'node:fs';
import { procStatFields } from '../workspace/process-gone.ts';
import { signalGroup } from './process-group.ts';

function parentOf(pid: number): number | undefined {
  const fields = procStatFields(pid);
  return fields === undefined ? undefined : Number(fields[1]);
}

/** Every live descendant of `root` (children, grandchildren, ...), or [] where /proc is unavailable. */
export function descendantsOf(root: number): number[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [root];
  for (let guard = 0; queue.length > 0 && guard < 100_000; guard++) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * SIGTERM to process group `pgid` now, SIGKILL to whatever is left of it after `graceMs`. Its
 * descendants are also signalled by pid: one that started its own session has left the group.
 */
export function killTree(pgid: number, graceMs: number): void {
  const tree = descendantsOf(pgid);
  signalPids(tree, 'SIGTERM');
  signalGroup(pgid, 'SIGTERM');
  setTimeout(() => {
    signalPids([...new Set([...tree, ...descendantsOf(pgid)])], 'SIGKILL');
    signalGroup(pgid, 'SIGKILL');
  }, graceMs).unref();
}
