/**
 * Evaluation tasks: JSON Lines with the SWE-bench fields (`instance_id`, `repo`, `base_commit`,
 * `problem_statement`, `test_patch`, `FAIL_TO_PASS`, `PASS_TO_PASS`, optionally `patch`, the gold
 * fix) plus Stint's `test_command` (a command line with `{test}` where each test id goes, for
 * projects that are not Python) and `setup` (commands run before the tests).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { COMMIT_ID } from '../domain/commit-id.ts';

export interface EvalTask {
  instanceId: string;
  /** A git URL, a path to a git repository, or a directory of files (committed deterministically). */
  repo: string;
  baseCommit: string;
  problemStatement: string;
  testPatch: string;
  failToPass: string[];
  passToPass: string[];
  /** Shell command line run once per test id, `{test}` replaced by the quoted id. */
  testCommand: string;
  /** The reference fix, for validating the task and for the oracle agent. */
  goldPatch?: string;
  /** Commands run (in order) in the judge's checkout before the tests. */
  setup: string[];
}

export class TaskError extends Error {}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** What SWE-bench's Python tasks use when a task names no command. */
export const DEFAULT_TEST_COMMAND = 'python3 -m pytest -q {test}';

/** Tasks from a .jsonl file, or from every .jsonl file of a directory (in name order). */
export async function loadTasks(path: string): Promise<EvalTask[]> {
  const abs = resolve(path);
  let files: string[];
  try {
    files = (await stat(abs)).isDirectory()
      ? (await readdir(abs))
          .filter((f) => f.endsWith('.jsonl'))
          .sort()
          .map((f) => join(abs, f))
      : [abs];
  } catch (e) {
    throw new TaskError(`cannot read tasks at ${path}: ${(e as Error).message}`);
  }
  if (files.length === 0) throw new TaskError(`no .jsonl task files in ${path}`);
  const tasks: EvalTask[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      const where = `${file}:${i + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (e) {
        throw new TaskError(`${where}: not valid JSON (${(e as Error).message})`);
      }
      const task = parseTask(json, where, dirname(file));
      if (seen.has(task.instanceId))
        throw new TaskError(`${where}: instance_id '${task.instanceId}' repeats`);
      seen.add(task.instanceId);
      tasks.push(task);
    }
  }
  return tasks;
}

/** One task line; relative local `repo` paths are taken from `baseDir` (the tasks file's folder). */
export function parseTask(json: unknown, where: string, baseDir: string): EvalTask {
  const bad = (msg: string) => new TaskError(`${where}: ${msg}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('must be a JSON object');
  const o = json as Record<string, unknown>;
  const str = (key: string, required = true): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) throw bad(`"${key}" is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw bad(`"${key}" must be a string`);
    return v;
  };
  const instanceId = str('instance_id')!;
  if (!INSTANCE_ID.test(instanceId)) throw bad(`"instance_id" must match ${INSTANCE_ID}`);
  const repo = str('repo')!.trim();
  if (repo === '') throw bad('"repo" is empty');
  const baseCommit = str('base_commit')!;
  if (!COMMIT_ID.test(baseCommit)) throw bad('"base_commit" must be a full commit id');
  const problemStatement = str('problem_statement')!;
  if (problemStatement.trim() === '') throw bad('"problem_statement" is empty');
  const testCommand = str('test_command', false) ?? DEFAULT_TEST_COMMAND;
  if (!testCommand.includes('{test}')) throw bad('"test_command" must contain {test}');
  const failToPass = testList(o.FAIL_TO_PASS, 'FAIL_TO_PASS', bad);
  if (failToPass.length === 0) throw bad('"FAIL_TO_PASS" names no test');
  const goldPatch = str('patch', false);
  return {
    instanceId,
    repo: isLocalPath(repo) && !isAbsolute(repo) ? resolve(baseDir, repo) : repo,
    baseCommit,
    problemStatement,
    testPatch: str('test_patch')!,
    failToPass,
    passToPass: testList(o.PASS_TO_PASS ?? [], 'PASS_TO_PASS', bad),
    testCommand,
    ...(goldPatch ? { goldPatch } : {}),
    setup: setupList(o.setup, bad),
  };
}

/** SWE-bench stores test lists as JSON text; plain arrays are accepted too. */
function testList(v: unknown, key: string, bad: (m: string) => Error): string[] {
  let list = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      throw bad(`"${key}" must be an array of test ids (or its JSON text)`);
    }
  }
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && t.trim() !== '')) {
    throw bad(`"${key}" must be an array of non-empty test ids`);
  }
  return list;
}

function setupList(v: unknown, bad: (m: string) => Error): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.trim() === '' ? [] : [v];
  if (Array.isArray(v) && v.every((c) => typeof c === 'string')) return v;
  throw bad('"setup" must be a command line or an array of them');
}

/** Not a URL (scheme://… or user@host:path): a path on this machine. */
export function isLocalPath(repo: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) && !/^[^/]+@[^/]+:/.test(repo);
}
