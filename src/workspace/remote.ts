// Lists the branches of a remote repository without cloning it.
import { runGit } from './git.ts';

export interface RemoteBranches {
  /** Branch names (without refs/heads/), sorted. */
  branches: string[];
  /** The branch the remote's HEAD points to, when the remote advertises it. */
  defaultBranch?: string;
}

const HEADS = 'refs/heads/';

export async function listRemoteBranches(
  gitUrl: string,
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RemoteBranches> {
  const { stdout } = await runGit(['ls-remote', '--symref', '--', gitUrl, 'HEAD', `${HEADS}*`], {
    timeoutMs: opts.timeoutMs ?? 60_000,
    env: opts.env,
  });
  return parseLsRemote(stdout);
}

/** Parses `git ls-remote --symref` output. */
export function parseLsRemote(stdout: string): RemoteBranches {
  const branches = new Set<string>();
  let defaultBranch: string | undefined;
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const left = line.slice(0, tab);
    const ref = line.slice(tab + 1);
    if (left.startsWith('ref: ')) {
      const target = left.slice('ref: '.length);
      if (ref === 'HEAD' && target.startsWith(HEADS)) defaultBranch = target.slice(HEADS.length);
    } else if (ref.startsWith(HEADS)) {
      branches.add(ref.slice(HEADS.length));
    }
  }
  const sorted = [...branches].sort();
  // A HEAD pointing at a branch that does not exist (e.g. an empty remote) is no default.
  return defaultBranch !== undefined && branches.has(defaultBranch)
    ? { branches: sorted, defaultBranch }
    : { branches: sorted };
}
