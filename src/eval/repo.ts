/**
 * The repositories tasks run on, kept under the eval's output folder: one bare repository per
 * distinct `repo`, with a branch `eval/<instance_id>` at each task's base commit, so that a session
 * can start from exactly that commit. A `repo` that is a plain directory (no git) is committed
 * with a fixed author and date, so the same files always give the same commit id.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from '../workspace/git.ts';
import { isLocalPath } from './task.ts';

export interface TaskRepo {
  /** Path of the bare repository. */
  path: string;
  /** Branch holding the task's base commit. */
  branch: string;
}

const FIXED_IDENTITY: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: 'Stint Eval',
  GIT_AUTHOR_EMAIL: 'eval@stint.invalid',
  GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Stint Eval',
  GIT_COMMITTER_EMAIL: 'eval@stint.invalid',
  GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z',
};

export function branchFor(instanceId: string): string {
  return `eval/${instanceId}`;
}

/** A name for the repository usable as a source id segment and a folder name. */
export function repoSlug(repo: string): string {
  const tail =
    repo
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .split(/[/:]/)
      .pop() || 'repo';
  const clean =
    tail
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 60) || 'repo';
  const hash = createHash('sha256').update(repo).digest('hex').slice(0, 8);
  return `${clean}-${hash}`;
}

/** The bare repository for `repo` under `reposDir`, made once (a concurrent caller waits for it). */
export class TaskRepos {
  readonly #dir: string;
  readonly #made = new Map<string, Promise<string>>();

  constructor(reposDir: string) {
    this.#dir = reposDir;
  }

  async forTask(task: { instanceId: string; repo: string; baseCommit: string }): Promise<TaskRepo> {
    let made = this.#made.get(task.repo);
    if (!made) {
      made = this.#bare(task.repo);
      this.#made.set(task.repo, made);
    }
    const path = await made;
    try {
      await runGit(['cat-file', '-e', `${task.baseCommit}^{commit}`], { cwd: path });
    } catch {
      throw new Error(
        `${task.instanceId}: base_commit ${task.baseCommit} is not in ${task.repo}` +
          (isPlainDirectory(task.repo) ? ' (its files commit to a different id: were they changed?)' : ''),
      );
    }
    const branch = branchFor(task.instanceId);
    await runGit(['update-ref', `refs/heads/${branch}`, task.baseCommit], { cwd: path });
    return { path, branch };
  }

  async #bare(repo: string): Promise<string> {
    const dest = join(this.#dir, `${repoSlug(repo)}.git`);
    if (existsSync(join(dest, 'HEAD'))) {
      return dest;
    }
    await mkdir(this.#dir, { recursive: true });
    const tmp = await mkdtemp(join(this.#dir, '.making-'));
    try {
      if (isPlainDirectory(repo)) await commitDirectory(repo, join(tmp, 'work'));
      const from = isPlainDirectory(repo) ? join(tmp, 'work') : repo;
      await runGit(['clone', '--quiet', '--bare', '--no-local', '--', from, join(tmp, 'bare.git')], {
        timeoutMs: 30 * 60_000,
      });
      await rename(join(tmp, 'bare.git'), dest);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dest;
  }
}

/** A local directory that is not a git repository (nor a bare one). */
export function isPlainDirectory(repo: string): boolean {
  return (
    isLocalPath(repo) &&
    existsSync(repo) &&
    !existsSync(join(repo, '.git')) &&
    !(existsSync(join(repo, 'HEAD')) && existsSync(join(repo, 'objects')))
  );
}

/** Commits the files of `dir` into a new repository at `work`, with a fixed identity and date. */
export async function commitDirectory(dir: string, work: string): Promise<string> {
  await cp(dir, work, { recursive: true, filter: (src) => !/[/\\](node_modules|__pycache__)$/.test(src) });
  await runGit(['init', '--quiet', '--', work]);
  await runGit(['add', '--all'], { cwd: work });
  await runGit(['commit', '--quiet', '--no-verify', '-m', 'Task repository'], {
    cwd: work,
    env: FIXED_IDENTITY,
  });
  const { stdout } = await runGit(['rev-parse', 'HEAD'], { cwd: work });
  return stdout.trim();
}
