/**
 * `stint eval`: each task (× attempts) becomes a real session through the API; its patch is then
 * judged outside the session (src/eval/judge.ts). Results are appended to OUT/results.jsonl as
 * they come, and the session of each run is recorded before it is waited for, so an interrupted
 * run resumes where it stopped: finished runs are kept, unfinished sessions are waited for again.
 */
import { appendFile, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Session } from '../cli/client/api-types.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { readJsonLines } from './jsonl.ts';
import { judgePatch } from './judge.ts';
import { TaskRepos } from './repo.ts';
import {
  bestOf,
  type EvalReport,
  type RejectedTask,
  summarize,
  type TaskResult,
  toMarkdown,
} from './report.ts';
import type { EvalTarget } from './target.ts';
import type { EvalTask } from './task.ts';
import { validateTasks } from './validate.ts';

export interface EvalOptions {
  tasks: EvalTask[];
  outDir: string;
  target: EvalTarget;
  /** Runs the judge's tests. */
  sandbox: Sandbox;
  concurrency: number;
  attempts: number;
  /** How long one session may take before it is cancelled and counted as an error. */
  sessionTimeoutMs: number;
  testTimeoutMs: number;
  /** Check each task first (its FAIL_TO_PASS tests must fail without a fix; its gold patch pass). */
  validate: boolean;
  log: (line: string) => void;
  /** How often a session is polled (default 500 ms). */
  pollMs?: number;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED']);
const MAX_NUDGES = 3;
const NUDGE =
  'There is no one to answer questions in this evaluation. Use your best judgement and finish the task.';

export async function runEval(opts: EvalOptions): Promise<EvalReport> {
  const startedAt = new Date().toISOString();
  await mkdir(opts.outDir, { recursive: true });
  const repos = new TaskRepos(join(opts.outDir, 'repos'));
  const judgeOpts = {
    sandbox: opts.sandbox,
    workDir: join(opts.outDir, 'work'),
    testTimeoutMs: opts.testTimeoutMs,
  };

  const rejected: RejectedTask[] = [];
  let tasks = opts.tasks;
  if (opts.validate) {
    const v = await validateTasks(tasks, repos, judgeOpts, join(opts.outDir, 'validation.jsonl'), opts.log);
    tasks = v.valid;
    rejected.push(...v.rejected);
  }

  const resultsFile = join(opts.outDir, 'results.jsonl');
  const sessionsFile = join(opts.outDir, 'sessions.jsonl');
  const done = new Map((await readJsonLines<TaskResult>(resultsFile)).map((r) => [runKey(r), r]));
  const sessions = new Map(
    (await readJsonLines<{ key: string; sessionId: string }>(sessionsFile)).map((s) => [s.key, s.sessionId]),
  );
  const runs: { task: EvalTask; attempt: number }[] = [];
  for (const task of tasks) {
    for (let attempt = 1; attempt <= opts.attempts; attempt++) runs.push({ task, attempt });
  }
  const todo = runs.filter((r) => !done.has(runKey({ instanceId: r.task.instanceId, attempt: r.attempt })));
  if (done.size > 0)
    opts.log(`Resuming: ${runs.length - todo.length} of ${runs.length} runs already finished.`);

  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { task, attempt } = todo[next++]!;
      const key = runKey({ instanceId: task.instanceId, attempt });
      let result: TaskResult;
      try {
        result = await runOne(opts, repos, judgeOpts, task, attempt, sessions.get(key), async (sessionId) => {
          sessions.set(key, sessionId);
          await appendFile(sessionsFile, `${JSON.stringify({ key, sessionId })}\n`);
        });
      } catch (e) {
        result = {
          instanceId: task.instanceId,
          attempt,
          status: 'error',
          reason: `harness: ${(e as Error).message}`,
          wallMs: 0,
          patchBytes: 0,
          patchFiles: 0,
        };
      }
      done.set(key, result);
      await appendFile(resultsFile, `${JSON.stringify(result)}\n`);
      opts.log(
        `${task.instanceId}#${attempt}: ${result.status}${result.reason ? ` (${result.reason.split('\n')[0]})` : ''}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, todo.length)) }, worker));

  const order = new Map(
    runs.map((r, i) => [runKey({ instanceId: r.task.instanceId, attempt: r.attempt }), i]),
  );
  const results = [...done.values()]
    .filter((r) => order.has(runKey(r)))
    .sort((a, b) => order.get(runKey(a))! - order.get(runKey(b))!);
  const report: EvalReport = {
    agent: opts.target.agent,
    startedAt,
    finishedAt: new Date().toISOString(),
    summary: summarize(results, opts.attempts),
    results,
    rejected,
  };
  if (opts.attempts > 1) {
    // Best of N: each task's best candidate, as its tests judged them, is the task's output.
    await mkdir(join(opts.outDir, 'best'), { recursive: true });
    for (const r of bestOf(results).values()) {
      if (r.patchFile)
        await copyFile(join(opts.outDir, r.patchFile), join(opts.outDir, 'best', `${r.instanceId}.patch`));
    }
  }
  await writeFile(join(opts.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(opts.outDir, 'report.md'), toMarkdown(report));
  return report;
}

async function runOne(
  opts: EvalOptions,
  repos: TaskRepos,
  judgeOpts: Parameters<typeof judgePatch>[3],
  task: EvalTask,
  attempt: number,
  existing: string | undefined,
  remember: (sessionId: string) => Promise<void>,
): Promise<TaskResult> {
  const local = await repos.forTask(task);
  const { api } = opts.target;
  let sessionId = existing;
  if (sessionId === undefined) {
    const source = await opts.target.sourceFor(task.repo, local);
    const created = await api.createSession({
      prompt: task.problemStatement,
      title: `eval ${task.instanceId} #${attempt}`,
      requirePlanApproval: false,
      sourceContext: { source, githubRepoContext: { startingBranch: local.branch } },
    });
    sessionId = created.id;
    await remember(sessionId);
  }
  const { session, note } = await waitForEnd(opts, sessionId);
  const base = {
    instanceId: task.instanceId,
    attempt,
    sessionId,
    ...(session.url ? { sessionUrl: session.url } : {}),
    state: session.state,
    wallMs: Math.max(0, Date.parse(session.updateTime ?? '') - Date.parse(session.createTime ?? '')) || 0,
    ...usageOf(session),
  };
  const gitPatch = session.outputs?.find((o) => o.changeSet)?.changeSet?.gitPatch;
  const patch = gitPatch?.unidiffPatch ?? '';
  const patchStats = {
    patchBytes: Buffer.byteLength(patch),
    patchFiles: (patch.match(/^diff --git /gm) ?? []).length,
    ...(patch !== ''
      ? { patchFile: await savePatch(opts.outDir, `${task.instanceId}.${attempt}.patch`, patch) }
      : {}),
  };
  if (session.state !== 'COMPLETED' && patch === '') {
    const reason =
      session.state === 'FAILED'
        ? `session failed: ${await failureReason(opts, sessionId)}`
        : `session ended ${session.state}${note ? ` (${note})` : ''}`;
    return { ...base, ...patchStats, status: 'unresolved', reason };
  }
  if (gitPatch?.baseCommitId && gitPatch.baseCommitId !== task.baseCommit) {
    const reason = `the session worked on ${gitPatch.baseCommitId}, not the task's base commit ${task.baseCommit}`;
    return { ...base, ...patchStats, status: 'error', reason };
  }
  const verdict = await judgePatch(task, local.path, patch, judgeOpts);
  return {
    ...base,
    ...patchStats,
    status: verdict.status,
    ...('reason' in verdict ? { reason: verdict.reason } : {}),
    tests: verdict.tests,
  };
}

/** Polls the session to its end: approves a plan, answers questions a few times, cancels on time-out. */
async function waitForEnd(
  opts: EvalOptions,
  sessionId: string,
): Promise<{ session: Session; note?: string }> {
  const { api } = opts.target;
  const deadline = Date.now() + opts.sessionTimeoutMs;
  let nudges = 0;
  for (;;) {
    const s = await api.getSession(sessionId);
    if (TERMINAL.has(s.state)) return { session: s };
    if (s.state === 'AWAITING_PLAN_APPROVAL') await api.approvePlan(sessionId);
    else if (s.state === 'AWAITING_USER_FEEDBACK') {
      if (nudges++ >= MAX_NUDGES) return { session: s, note: `still asking after ${MAX_NUDGES} answers` };
      await api.sendMessage(sessionId, NUDGE);
    } else if (s.state === 'PAUSED') return { session: s, note: 'paused, e.g. by a budget' };
    if (Date.now() > deadline) {
      await api.sessionMethod(sessionId, 'cancel').catch(() => undefined);
      return { session: s, note: `timed out after ${Math.round(opts.sessionTimeoutMs / 1000)} s` };
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

async function failureReason(opts: EvalOptions, sessionId: string): Promise<string> {
  const activities = await opts.target.api.activitiesAfter(sessionId);
  const failed = activities.findLast((a) => a.sessionFailed);
  return failed?.sessionFailed?.reason ?? 'no reason given';
}

function usageOf(s: Session): Partial<TaskResult> {
  const u = s.usage;
  if (!u) return {};
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    turns: u.modelTurns,
    ...(u.costUsd !== undefined ? { costUsd: u.costUsd } : {}),
  };
}

async function savePatch(outDir: string, name: string, patch: string): Promise<string> {
  await mkdir(join(outDir, 'patches'), { recursive: true });
  await writeFile(join(outDir, 'patches', name), patch);
  return join('patches', name);
}

function runKey(r: { instanceId: string; attempt: number }): string {
  return `${r.instanceId}#${r.attempt}`;
}
