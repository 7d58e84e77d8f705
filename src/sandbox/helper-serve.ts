// The helper's side of a sandbox run (src/sandbox/helper-run.ts): runProcess here, its pid, output
// and outcome sent back, an abort from the server passed on as the run's signal.

import type { RunMessage, RunReply } from './helper-run.ts';
import { signalGroup } from './process-group.ts';
import { runProcess } from './process-run.ts';
import { descendantsOf, signalPids } from './process-tree.ts';

interface Running {
  abort: AbortController;
  pid?: number;
}

const runs = new Map<number, Running>();

export function serveRun(message: RunMessage, send: (reply: RunReply) => void): void {
  const { id } = message;
  if (!('run' in message)) {
    // An abort; none when the run is over already.
    runs.get(id)?.abort.abort();
    return;
  }
  const { stream, aborted, ...opts } = message.run;
  const running: Running = { abort: new AbortController() };
  if (aborted) running.abort.abort();
  runs.set(id, running);
  runProcess({
    ...opts,
    signal: running.abort.signal,
    onOutput: stream ? (chunk) => send({ id, chunk }) : undefined,
    onSpawn: (pid) => {
      running.pid = pid;
      send({ id, pid });
    },
  })
    .then(
      (result) => send({ id, result }),
      (err: Error) => send({ id, error: err.message }),
    )
    .finally(() => runs.delete(id));
}

/** The server is gone: so are the commands it had running here, at once. */
export function killRuns(): void {
  for (const { pid } of runs.values()) {
    if (pid === undefined) continue;
    signalPids(descendantsOf(pid), 'SIGKILL');
    signalGroup(pid, 'SIGKILL');
  }
}
