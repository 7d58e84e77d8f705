// A command can write anywhere in the checkout. With the change watcher (src/workspace/watch/) the
// change feed (src/workspace/change-feed.ts) learns what it touched: a mark made before it starts
// keeps the feed unknown while it runs (and after a crash), and when it ends the paths the watcher
// saw go in the feed. Without one (STINT_CHANGE_WATCH=off, a tree that cannot be watched, a journal
// that is not known, or another command already running in the same checkout, whose journal this
// one would share) the feed is dropped before the command starts and again when it ends (a walk of
// the tree that ran meanwhile restarted it while the command could still write).
import type { RunRequest, RunResult, Sandbox } from '../sandbox/sandbox.ts';
import { commandEnded, commandStarts, dropFeed } from '../workspace/change-feed.ts';
import { serverGitDirFor } from '../workspace/server-git.ts';
import { type ChangeWatch, changeWatch } from '../workspace/watch/change-watch.ts';

// Commands running per checkout, and whether one of them ran unwatched meanwhile.
const running = new Map<string, { count: number; overlapped: boolean }>();

/** `sandbox`, keeping the change feed of the checkout at `workdir` right around every command. */
export function feedsCommands(
  sandbox: Sandbox,
  workdir: string,
  watch: ChangeWatch = changeWatch(),
): Sandbox {
  const gitDir = serverGitDirFor(workdir);
  return {
    kind: sandbox.kind,
    async run(req: RunRequest): Promise<RunResult> {
      const slot = running.get(workdir) ?? { count: 0, overlapped: false };
      running.set(workdir, slot);
      slot.count++;
      const watched = slot.count === 1 && (await watch.begin(workdir, gitDir));
      if (!watched) slot.overlapped = slot.count > 1 || slot.overlapped;
      try {
        if (watched) await commandStarts(gitDir);
        else await dropFeed(gitDir);
        return await sandbox.run(req);
      } finally {
        const overlapped = slot.overlapped;
        if (--slot.count === 0) running.delete(workdir);
        if (watched) await commandEnded(gitDir, overlapped ? undefined : await watch.take(workdir));
        else await dropFeed(gitDir);
      }
    },
  };
}
