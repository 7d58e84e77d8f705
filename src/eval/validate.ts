/**
 * Checks tasks before any session runs: with no fix, every FAIL_TO_PASS test must fail (else the
 * task measures nothing) and every PASS_TO_PASS test must pass (else no patch can resolve it); with
 * the gold patch, when the task has one, the task must resolve. Verdicts are cached per task
 * content in OUT/validation.jsonl, so a resumed or repeated run does not check again.
 */
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { readJsonLines } from './jsonl.ts';
import { type JudgeOptions, judgePatch } from './judge.ts';
import type { TaskRepos } from './repo.ts';
import type { RejectedTask } from './report.ts';
import type { EvalTask } from './task.ts';

interface Checked {
  instanceId: string;
  key: string;
  reason?: string;
}

export async function validateTasks(
  tasks: EvalTask[],
  repos: TaskRepos,
  judgeOpts: JudgeOptions,
  cacheFile: string,
  log: (line: string) => void,
): Promise<{ valid: EvalTask[]; rejected: RejectedTask[] }> {
  const cache = new Map((await readJsonLines<Checked>(cacheFile)).map((c) => [c.key, c]));
  const valid: EvalTask[] = [];
  const rejected: RejectedTask[] = [];
  for (const task of tasks) {
    const key = createHash('sha256').update(JSON.stringify(task)).digest('hex');
    let checked = cache.get(key);
    if (!checked) {
      const reason = await problemWith(task, repos, judgeOpts);
      checked = { instanceId: task.instanceId, key, ...(reason ? { reason } : {}) };
      await appendFile(cacheFile, `${JSON.stringify(checked)}\n`);
    }
    if (checked.reason) {
      log(`${task.instanceId}: rejected (${checked.reason})`);
      rejected.push({ instanceId: task.instanceId, reason: checked.reason });
    } else {
      valid.push(task);
    }
  }
  return { valid, rejected };
}

async function problemWith(
  task: EvalTask,
  repos: TaskRepos,
  judgeOpts: JudgeOptions,
): Promise<string | undefined> {
  let local: Awaited<ReturnType<TaskRepos['forTask']>>;
  try {
    local = await repos.forTask(task);
  } catch (e) {
    return (e as Error).message;
  }
  const before = await judgePatch(task, local.path, '', judgeOpts);
  if (before.status === 'error') return before.reason;
  const passing = before.tests.filter((t) => t.kind === 'FAIL_TO_PASS' && t.passed).map((t) => t.id);
  if (passing.length > 0) return `FAIL_TO_PASS tests pass without a fix: ${passing.join(', ')}`;
  const broken = before.tests.filter((t) => t.kind === 'PASS_TO_PASS' && !t.passed).map((t) => t.id);
  if (broken.length > 0) return `PASS_TO_PASS tests fail on the base commit: ${broken.join(', ')}`;
  if (task.goldPatch) {
    const gold = await judgePatch(task, local.path, task.goldPatch, judgeOpts);
    if (gold.status !== 'resolved') return `the gold patch does not resolve the task: ${gold.reason}`;
  }
  return undefined;
}
