// A git helper process (src/workspace/git-helpers.ts): spawns the processes it is sent and replies
// with how each ended; sandbox commands too (src/sandbox/helper-serve.ts). Nothing else runs here,
// so its address space stays small and each fork is cheap. It goes when the server does (its IPC
// channel closes), and takes the sandbox commands still running with it.

import type { RunMessage } from '../sandbox/helper-run.ts';
import { killRuns, serveRun } from '../sandbox/helper-serve.ts';
import { spawnCollect } from './git.ts';
import type { GitHelperReply, GitHelperRequest } from './git-helpers.ts';

const send = process.send?.bind(process);
if (!send) throw new Error('src/workspace/git-helper.ts runs as a child process with an IPC channel');
process.on('message', (req: GitHelperRequest | RunMessage) => {
  if (!('job' in req)) {
    serveRun(req, send);
    return;
  }
  spawnCollect(req.job).then((outcome) => {
    const reply: GitHelperReply = { id: req.id, outcome };
    send(reply);
  });
});
process.on('disconnect', () => {
  killRuns();
  process.exit(0);
});
// Loaded: what is sent from now on is run here.
send('ready');
