/**
 * Builds eval/tasks/tasks.jsonl from eval/task-sources/<instance_id>/: task.json (the repository
 * under eval/repos/, the problem statement, the tests and the test command), fix/ (the files as
 * the reference fix leaves them) and tests/ (the hidden tests as they are after the test patch).
 * Run after changing a task: `npx node eval/build-tasks.ts`.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitDirectory } from '../src/eval/repo.ts';
import { runGit } from '../src/workspace/git.ts';

const here = import.meta.dirname;
const sources = join(here, 'task-sources');

async function diffOf(work: string, base: string, overlay: string): Promise<string> {
  await cp(overlay, work, { recursive: true });
  await runGit(['add', '--all'], { cwd: work });
  const { stdout } = await runGit(
    ['diff', '--cached', '--binary', '--no-color', '--src-prefix=a/', '--dst-prefix=b/', base],
    { cwd: work },
  );
  await runGit(['reset', '--quiet', '--hard', base], { cwd: work });
  await runGit(['clean', '-fdxq'], { cwd: work });
  return stdout;
}

const lines: string[] = [];
const tmp = await mkdtemp(join(tmpdir(), 'stint-eval-build-'));
try {
  const bases = new Map<string, { work: string; commit: string }>();
  for (const id of (await readdir(sources)).sort()) {
    const meta = JSON.parse(await readFile(join(sources, id, 'task.json'), 'utf8'));
    let base = bases.get(meta.repo);
    if (!base) {
      const work = join(tmp, meta.repo);
      base = { work, commit: await commitDirectory(join(here, 'repos', meta.repo), work) };
      bases.set(meta.repo, base);
    }
    const patch = await diffOf(base.work, base.commit, join(sources, id, 'fix'));
    const testPatch = await diffOf(base.work, base.commit, join(sources, id, 'tests'));
    lines.push(
      JSON.stringify({
        instance_id: id,
        repo: `../repos/${meta.repo}`,
        base_commit: base.commit,
        problem_statement: meta.problem_statement,
        patch,
        test_patch: testPatch,
        FAIL_TO_PASS: meta.FAIL_TO_PASS,
        PASS_TO_PASS: meta.PASS_TO_PASS,
        test_command: meta.test_command,
      }),
    );
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
await writeFile(join(here, 'tasks', 'tasks.jsonl'), `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} tasks to eval/tasks/tasks.jsonl`);
