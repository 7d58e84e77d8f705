// Shadow git dirs: a git directory outside a checkout, borrowing the checkout's objects (read-only,
// through objects/info/alternates) and pointing at the checkout's files as its work tree, either
// throw-away (one change-set computation, below) or kept (workspace snapshots, snapshot.ts).
//
// Diffing through it leaves the checkout's own index and object store untouched, and it never
// reads the checkout's .git/config, which the agent can edit: settings there such as
// core.fsmonitor, filter drivers or diff.external would otherwise run commands on the host.
import { copyFile, lstat, mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitOptions, runGitRaw } from './git.ts';
import { removeTree } from './remove-tree.ts';

export interface ShadowRepo {
  readonly gitDir: string;
  readonly workTree: string;
  /** Runs git against the shadow git dir with the checkout as work tree. */
  git(args: readonly string[], opts?: GitOptions): Promise<{ stdout: Buffer; stderr: string }>;
  /** Replaces the shadow's info/attributes (highest-precedence attributes). */
  setAttributes(lines: readonly string[]): Promise<void>;
  dispose(): Promise<void>;
}

const MAX_EXCLUDE_BYTES = 1024 * 1024;

export async function openShadowRepo(
  checkoutDir: string,
  objectFormat: 'sha1' | 'sha256',
  tempDir: string = tmpdir(),
): Promise<ShadowRepo> {
  const workTree = await realpath(checkoutDir);
  const objects = join(workTree, '.git', 'objects');
  const st = await lstat(objects).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`${checkoutDir} is not a git checkout (no .git/objects directory)`);

  await mkdir(tempDir, { recursive: true });
  const tmp = await mkdtemp(join(tempDir, 'stint-shadow-'));
  const gitDir = join(tmp, 'git');
  try {
    await initShadowGitDir(gitDir, workTree, objectFormat);
  } catch (err) {
    await removeTree(tmp);
    throw err;
  }

  return {
    gitDir,
    workTree,
    git: (args, opts = {}) => shadowGitRun(gitDir, workTree, args, opts),
    setAttributes: (lines) =>
      writeFile(join(gitDir, 'info', 'attributes'), lines.map((l) => `${l}\n`).join('')),
    dispose: () => removeTree(tmp),
  };
}

/**
 * Makes `gitDir` a shadow of the checkout at `workTree` (resolved path): a bare git dir with no
 * template and no user configuration, the checkout's objects borrowed through alternates, and its
 * .git/info/exclude copied. Used for one computation (above) and, kept, for workspace snapshots
 * (src/workspace/snapshot.ts).
 */
export async function initShadowGitDir(
  gitDir: string,
  workTree: string,
  objectFormat: 'sha1' | 'sha256',
): Promise<void> {
  await runGitRaw([
    'init',
    '--quiet',
    '--bare',
    '--template=',
    `--object-format=${objectFormat}`,
    '--',
    gitDir,
  ]);
  await mkdir(join(gitDir, 'objects', 'info'), { recursive: true });
  await mkdir(join(gitDir, 'info'), { recursive: true });
  await writeFile(join(gitDir, 'objects', 'info', 'alternates'), `${join(workTree, '.git', 'objects')}\n`);
  await copyExcludes(join(workTree, '.git', 'info', 'exclude'), join(gitDir, 'info', 'exclude'));
}

/** Runs git with a shadow git dir (its own index) and the checkout as work tree. */
export function shadowGitRun(
  gitDir: string,
  workTree: string,
  args: readonly string[],
  opts: GitOptions = {},
): Promise<{ stdout: Buffer; stderr: string }> {
  return runGitRaw(['--git-dir', gitDir, '--work-tree', workTree, ...args], {
    ...opts,
    cwd: workTree,
    env: { ...opts.env, GIT_INDEX_FILE: join(gitDir, 'index') },
  });
}

// The checkout's .git/info/exclude holds ignore rules git would honour there; keep honouring them.
async function copyExcludes(from: string, to: string): Promise<void> {
  const st = await lstat(from).catch(() => undefined);
  if (!st?.isFile() || st.size > MAX_EXCLUDE_BYTES) return;
  await copyFile(from, to);
}
