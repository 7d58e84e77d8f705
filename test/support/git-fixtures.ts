/** Real git repositories for tests, made with the git CLI (argument arrays only). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEntry, makeTempDirRemovedAtExit } from './server.ts';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@localhost',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@localhost',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
  });
}

/** A bare repository with `main` (README.md, src/app.txt) and a `dev` branch; returns its path. */
export function makeBareRepo(files: Record<string, string> = {}): string {
  const root = makeTempDirRemovedAtExit('stint-repo-');
  const work = join(root, 'work');
  const bare = join(root, 'remote.git');
  mkdirSync(work);
  git(work, 'init', '-q');
  const all = { 'README.md': '# widgets\n', 'src/app.txt': 'line 1\nline 2\n', ...files };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'initial');
  git(work, 'branch', 'dev');
  git(root, 'clone', '-q', '--bare', work, bare);
  return bare;
}

/** Registers a source with the CLI, as a user would, before the server starts. */
export function addSource(dataDir: string, id: string, gitUrl: string, ...extra: string[]): void {
  execFileSync(
    process.execPath,
    [cliEntry, 'sources', 'add', id, '--git-url', gitUrl, '--data-dir', dataDir, ...extra],
    {
      encoding: 'utf8',
      stdio: 'pipe',
    },
  );
}

/** `stint-script` prompt for the scripted agent. */
export function scriptPrompt(text: string, script: unknown): string {
  return `${text}\n\n\`\`\`stint-script\n${JSON.stringify(script)}\n\`\`\`\n`;
}
