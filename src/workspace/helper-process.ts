// The server's helper processes (the git helpers, src/workspace/git-helpers.ts; the change watcher,
// src/workspace/watch/change-watch.ts): forked Node processes that talk over IPC only. They keep
// nothing alive while idle, so the server may exit, and its helpers with it (their IPC channel
// closes).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Forks `entry`, idle. */
export function forkHelper(entry: URL): ChildProcess {
  // No inherited flags (an inspector port, a big heap). `advanced` serialization carries Buffers
  // (as Uint8Arrays) both ways.
  const child = fork(fileURLToPath(entry), [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  return child;
}

/** Nothing pending: the helper does not keep the server alive. Call after adding listeners (a 'message' listener refs the channel again). */
export function idle(helper: ChildProcess): void {
  helper.unref();
  helper.channel?.unref();
}

/** Work pending: the server waits for it. */
export function busy(helper: ChildProcess): void {
  helper.ref();
  helper.channel?.ref();
}
