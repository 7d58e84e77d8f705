// A command can write anywhere in the checkout: the change feed (src/workspace/change-feed.ts)
// cannot know what it did, so it is dropped before the command starts (a crash mid-command leaves
// it dropped) and again when the command ends (a walk of the tree that ran meanwhile restarted it
// while the command could still write).
import type { RunRequest, RunResult, Sandbox } from '../sandbox/sandbox.ts';
import { dropFeed } from '../workspace/change-feed.ts';
import { serverGitDirFor } from '../workspace/server-git.ts';

/** `sandbox`, dropping the change feed of the checkout at `workdir` around every command. */
export function dropsChangeFeed(sandbox: Sandbox, workdir: string): Sandbox {
  const gitDir = serverGitDirFor(workdir);
  return {
    kind: sandbox.kind,
    async run(req: RunRequest): Promise<RunResult> {
      await dropFeed(gitDir);
      try {
        return await sandbox.run(req);
      } finally {
        await dropFeed(gitDir);
      }
    },
  };
}
