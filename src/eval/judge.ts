/**
 * Judges a patch outside the session that made it: a clean checkout of the task's base commit,
 * the patch applied, then the task's hidden test changes, then each FAIL_TO_PASS and PASS_TO_PASS
 * test run in the sandbox. Resolved means every one of them passes.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { runGit } from '../workspace/git.ts';
import type { EvalTask } from './task.ts';

export type Verdict =
  | { status: 'resolved'; tests: TestResult[] }
  | { status: 'unresolved'; reason: string; tests: TestResult[] }
  | { status: 'error'; reason: string; tests: TestResult[] };

export interface TestResult {
  id: string;
  kind: 'FAIL_TO_PASS' | 'PASS_TO_PASS';
  passed: boolean;
  /** The end of the test's output, when it failed. */
  tail?: string;
}

export interface JudgeOptions {
  sandbox: Sandbox;
  /** Where the temporary checkouts go. */
  workDir: string;
  /** Limit for each setup command and each test run. */
  testTimeoutMs: number;
}

const TAIL_CHARS = 1500;

export async function judgePatch(
  task: EvalTask,
  repoPath: string,
  patch: string,
  opts: JudgeOptions,
): Promise<Verdict> {
  await mkdir(opts.workDir, { recursive: true });
  const dir = await mkdtemp(join(opts.workDir, 'judge-'));
  try {
    await runGit(['clone', '--quiet', '--no-checkout', '--shared', '--', repoPath, dir]);
    await runGit(['checkout', '--quiet', '--detach', task.baseCommit], { cwd: dir });
    if (patch !== '') {
      try {
        await runGit(['apply', '--binary', '--whitespace=nowarn', '-'], { cwd: dir, input: patch });
      } catch (e) {
        return { status: 'unresolved', reason: `the patch does not apply: ${firstLine(e)}`, tests: [] };
      }
    }
    if (task.testPatch !== '') {
      try {
        await runGit(['apply', '--binary', '--whitespace=nowarn', '-'], { cwd: dir, input: task.testPatch });
      } catch (e) {
        const reason = `the task's test_patch does not apply after the patch: ${firstLine(e)}`;
        // The candidate patch touched the hidden tests' files: the candidate's fault.
        return patch === ''
          ? { status: 'error', reason, tests: [] }
          : { status: 'unresolved', reason, tests: [] };
      }
    }
    for (const command of task.setup) {
      const r = await run(opts, dir, command);
      if (r.exitCode !== 0) {
        return { status: 'error', reason: `setup \`${command}\` failed: ${tail(r.output)}`, tests: [] };
      }
    }
    const tests: TestResult[] = [];
    for (const [kind, ids] of [
      ['FAIL_TO_PASS', task.failToPass],
      ['PASS_TO_PASS', task.passToPass],
    ] as const) {
      for (const id of ids) {
        const r = await run(opts, dir, task.testCommand.replaceAll('{test}', shellQuote(id)));
        const passed = r.exitCode === 0;
        tests.push({ id, kind, passed, ...(passed ? {} : { tail: tail(r.output) }) });
      }
    }
    const failed = tests.filter((t) => !t.passed);
    if (failed.length === 0) return { status: 'resolved', tests };
    const names = failed.map((t) => `${t.id} (${t.kind})`);
    const reason = `${failed.length} test${failed.length === 1 ? '' : 's'} failed: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
    return { status: 'unresolved', reason, tests };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(opts: JudgeOptions, dir: string, command: string) {
  return opts.sandbox.run({
    command,
    cwd: dir,
    root: dir,
    timeoutMs: opts.testTimeoutMs,
    maxOutputBytes: 64 * 1024,
    env: { CI: '1', NO_COLOR: '1' },
  });
}

/** One shell word, whatever the test id holds. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function tail(output: string): string {
  const t = output.trimEnd();
  return t.length > TAIL_CHARS ? `…${t.slice(-TAIL_CHARS)}` : t;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0] ?? '';
}
