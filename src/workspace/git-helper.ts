// A git thread (src/workspace/git-threads.ts): spawns the processes it is sent and replies with
// how each ended. Nothing else runs here.
import { parentPort } from 'node:worker_threads';
import { spawnCollect } from './git.ts';
import type { GitThreadReply, GitThreadRequest } from './git-threads.ts';

const port = parentPort;
if (!port) throw new Error('src/workspace/git-thread.ts runs as a worker thread');
port.on('message', (req: GitThreadRequest) => {
  spawnCollect(req.job).then((outcome) => {
    const reply: GitThreadReply = { id: req.id, outcome };
    port.postMessage(reply);
  });
});
// Loaded: what is sent from now on is run here (src/workspace/git-threads.ts).
port.postMessage('ready');
