/**
 * `stint pull`: applies a session's changeSet (its outputs) to the git checkout the user stands in,
 * with `git apply` (an all-or-nothing apply: nothing changes when any hunk fails). Refuses a working
 * tree with uncommitted changes to tracked files unless forced. Git runs via spawn with an argument
 * array, in the user's own configuration.
 */
import { spawn } from 'node:child_process';
import type { GitPatch, Session } from './api-types.ts';
import { diffStat, type FileStat } from './diff.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { sourceId } from './format.ts';

export interface PullOptions {
  cwd: string;
  force: boolean;
  threeWay: boolean;
  /** Only check that the patch applies. */
  checkOnly: boolean;
  warn: (line: string) => void;
}

export interface PullResult {
  toplevel: string;
  files: FileStat[];
  patch: GitPatch;
}

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

function git(cwd: string, args: string[], input?: string): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (e) => reject(new CliError(EXIT.GIT, `cannot run git: ${e.message}`)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** The patch to apply, or a CliError saying why there is none. */
export function sessionPatch(s: Session): GitPatch {
  const found = (s.outputs ?? []).find((o) => o.changeSet?.gitPatch?.unidiffPatch)?.changeSet?.gitPatch;
  if (found) return found;
  const pr = (s.outputs ?? []).find((o) => o.pullRequest)?.pullRequest;
  if (pr) {
    throw new CliError(
      EXIT.GIT,
      `session ${s.id} has no patch in its outputs; its changes are in ${pr.url}`,
      pr.headRef ? `Fetch its branch ${pr.headRef} instead.` : undefined,
    );
  }
  if (s.state !== 'COMPLETED' && s.state !== 'FAILED') {
    throw new CliError(
      EXIT.GIT,
      `session ${s.id} is ${s.state}; it has no changes to pull yet`,
      `Follow it with: stint watch ${s.id}`,
    );
  }
  throw new CliError(EXIT.GIT, `session ${s.id} produced no changes`);
}

export async function pullSession(s: Session, opts: PullOptions): Promise<PullResult> {
  const patch = sessionPatch(s);
  const top = await git(opts.cwd, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0) {
    const where = s.sourceContext?.source ? ` of ${sourceId(s.sourceContext.source)}` : '';
    throw new CliError(
      EXIT.GIT,
      `${opts.cwd} is not inside a git checkout`,
      `cd into your clone${where} and run stint pull again.`,
    );
  }
  const toplevel = top.stdout.trim();
  if (!opts.force) {
    const status = await git(toplevel, ['status', '--porcelain', '--untracked-files=no']);
    const dirty = status.stdout.split('\n').filter(Boolean);
    if (status.code !== 0 || dirty.length > 0) {
      throw new CliError(
        EXIT.GIT,
        `your working tree has uncommitted changes (${dirty.length} file${dirty.length === 1 ? '' : 's'}); refusing to apply on top of them`,
        'Commit or stash them first, or pass --force.',
      );
    }
  }
  const base = patch.baseCommitId;
  if (base) {
    const head = (await git(toplevel, ['rev-parse', '--verify', '-q', 'HEAD'])).stdout.trim();
    if (head !== base) {
      const known = (await git(toplevel, ['cat-file', '-e', `${base}^{commit}`])).code === 0;
      opts.warn(
        known
          ? `stint: note: the patch was made on ${base.slice(0, 12)}; your HEAD is ${head.slice(0, 12) || '(no commit)'}.`
          : `stint: warning: this checkout does not have ${base.slice(0, 12)}, the commit the patch was made on; is it a clone of ${sourceId(s.sourceContext?.source) || "the session's repository"}?`,
      );
    }
  }
  const args = ['apply', ...(opts.checkOnly ? ['--check'] : []), ...(opts.threeWay ? ['--3way'] : []), '-'];
  const applied = await git(toplevel, args, patch.unidiffPatch);
  if (applied.code !== 0) {
    const reverse = await git(toplevel, ['apply', '--check', '--reverse', '-'], patch.unidiffPatch);
    if (reverse.code === 0) {
      throw new CliError(EXIT.GIT, `the changes of session ${s.id} are already applied in ${toplevel}`);
    }
    const detail = applied.stderr.trim().split('\n').slice(0, 8).join('\n  ');
    if (opts.threeWay && !opts.checkOnly && /conflict/i.test(applied.stderr)) {
      throw new CliError(
        EXIT.GIT,
        `the patch of session ${s.id} applied with conflicts in ${toplevel}:\n  ${detail}`,
        'Resolve the conflict markers, then `git add` the files.',
      );
    }
    throw new CliError(
      EXIT.GIT,
      `the patch of session ${s.id} does not apply to ${toplevel}${opts.checkOnly ? '' : '; nothing was changed'}:\n  ${detail}`,
      opts.threeWay ? undefined : 'Check out the commit it was made on, or try --3way.',
    );
  }
  return { toplevel, files: diffStat(patch.unidiffPatch ?? ''), patch };
}
