/**
 * The `git_status` and `git_diff` tools: what changed in the checkout since the session's base
 * commit. Computed through a shadow git dir (src/workspace/patch.ts), so nothing the agent may have
 * put in the checkout's .git/config runs on the host.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { splitUnifiedDiff } from '../../domain/unified-diff.ts';
import { computeChangeSet } from '../../workspace/patch.ts';
import { readServerBase, serverGitDirFor } from '../../workspace/server-git.ts';
import { checkRelativePath } from './files.ts';

async function changes(workdir: string) {
  // The base the server recorded outside the checkout (the agent can rewrite anything inside it).
  const serverGitDir = serverGitDirFor(workdir);
  const base = await readServerBase(serverGitDir);
  if (base === undefined) throw new Error('the checkout has no base commit');
  const isGitDir = await stat(join(serverGitDir, 'HEAD')).then(
    () => true,
    () => false,
  );
  return computeChangeSet(workdir, base, isGitDir ? { serverGitDir } : {});
}

export async function workspaceStatus(workdir: string): Promise<string> {
  const { files } = await changes(workdir);
  if (files.length === 0) return 'No changes since the start of the session.';
  return files
    .map((f) => {
      const what = f.status === 'renamed' ? `renamed ${f.oldPath} -> ${f.path}` : `${f.status} ${f.path}`;
      return f.binary ? `${what} (binary)` : `${what} (+${f.additions} -${f.deletions})`;
    })
    .join('\n');
}

/** The diff since the base commit, of every file or only those at or under `path`. */
export async function workspaceDiff(workdir: string, path?: string): Promise<string> {
  const { unidiffPatch } = await changes(workdir);
  if (unidiffPatch === '') return 'No changes since the start of the session.';
  if (path === undefined || path === '' || path === '.') return unidiffPatch;
  const want = checkRelativePath(path);
  const kept = splitUnifiedDiff(unidiffPatch)
    .filter(({ file }) =>
      [file.oldPath, file.newPath].some((f) => f !== undefined && (f === want || f.startsWith(`${want}/`))),
    )
    .map((s) => s.text);
  return kept.length > 0 ? kept.join('') : `No changes under ${want}.`;
}
