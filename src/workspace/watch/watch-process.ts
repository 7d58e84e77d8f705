// The change watcher's process (src/workspace/watch/change-watch.ts): holds the inotify watches of
// the checkouts (src/workspace/watch/tree-watches.ts) and answers begin / take / forget. A process
// of its own so that the events of every checkout are read off the server's event loop, and its
// watches go when the server does (its IPC channel closes).

import type { WatchReply, WatchRequest } from './change-watch.ts';
import { TreeWatches } from './tree-watches.ts';

const send = process.send?.bind(process);
if (!send)
  throw new Error('src/workspace/watch/watch-process.ts runs as a child process with an IPC channel');
const watches = new TreeWatches();

// One request at a time, in order: a take always sees the begin sent before it.
let queue: Promise<void> = Promise.resolve();
process.on('message', (req: WatchRequest) => {
  queue = queue.then(async () => {
    const reply: WatchReply = { id: req.id };
    try {
      if (req.op === 'begin') reply.ok = await watches.begin(req.root, req.gitDir);
      else if (req.op === 'take') {
        const journal = await watches.take(req.root);
        if (journal) reply.journal = journal;
      } else watches.forget(req.root);
    } catch (e) {
      reply.error = (e as Error).message;
    }
    send(reply);
  });
});
// The server gone (its channel closed) or stopping this process (close(): SIGTERM): the watches
// and the barrier directory go with it.
const exit = () => {
  watches.close();
  process.exit(0);
};
process.on('disconnect', exit);
process.on('SIGTERM', exit);
send('ready');
