/**
 * `stint eval` validated as a harness: the oracle (gold patches through the cli agent) scores
 * 100 %, an agent that changes nothing 0 %, a recorded fake-model conversation resolves its task,
 * a patch that breaks a PASS_TO_PASS test is not resolved, a task whose FAIL_TO_PASS tests pass
 * without a fix is rejected, and a second run on the same output folder resumes instead of redoing.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { judgePatch } from '../../src/eval/judge.ts';
import { TaskRepos } from '../../src/eval/repo.ts';
import { bestOf, passAt, summarize, type TaskResult, wilson } from '../../src/eval/report.ts';
import { runEval } from '../../src/eval/run-eval.ts';
import { ownServer } from '../../src/eval/target.ts';
import { type EvalTask, loadTasks, parseTask, TaskError } from '../../src/eval/task.ts';
import { selectSandbox } from '../../src/sandbox/index.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.ts';
import { cliEntry, makeTempDir, repoRoot } from '../support/server.ts';

function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
}

const run = promisify(execFile);
const dirs: string[] = [];
const fakes: FakeOpenAI[] = [];
after(async () => {
  for (const f of fakes) await f.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = makeTempDir('stint-eval-');
  dirs.push(d);
  return d;
}

const SHIPPED = join(repoRoot, 'eval', 'tasks');
const PICK = ['textkit-wordcount-empty', 'inventory-discount-percent'];

/** A tasks file with some of the shipped tasks (one JavaScript, one Python), repo paths made absolute. */
async function subset(ids = PICK): Promise<{ file: string; tasks: EvalTask[] }> {
  const all = await loadTasks(SHIPPED);
  const lines = readFileSync(join(SHIPPED, 'tasks.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
    .filter((t) => ids.includes(t.instance_id))
    .map((t) => ({ ...t, repo: all.find((a) => a.instanceId === t.instance_id)!.repo }));
  const file = join(tempDir(), 'tasks.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  return { file, tasks: await loadTasks(file) };
}

// Bounds a hang of one `stint eval` run (several sessions, each judged in the sandbox): a busy shared
// machine took over 200 s for one; a test's limit is its runs times this.
const EVAL_HANG_MS = 600_000;

async function stintEval(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cliEntry, 'eval', ...args], {
    env: { ...process.env, STINT_LOG_LEVEL: 'warn' },
    timeout: EVAL_HANG_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
}

test('the shipped task set loads: a dozen tasks on JavaScript and Python repositories', async () => {
  const tasks = await loadTasks(SHIPPED);
  assert.ok(tasks.length >= 12, `${tasks.length} tasks`);
  assert.ok(tasks.some((t) => t.testCommand.startsWith('node')));
  assert.ok(tasks.some((t) => t.testCommand.startsWith('python3')));
  for (const t of tasks) {
    assert.ok(t.goldPatch, `${t.instanceId} has a gold patch`);
    assert.ok(t.testPatch.includes('diff --git'), `${t.instanceId} has hidden tests`);
  }
});

test('task lines are checked field by field, with the line named', () => {
  const good = {
    instance_id: 'x-1',
    repo: 'r',
    base_commit: 'a'.repeat(40),
    problem_statement: 'fix it',
    test_patch: '',
    FAIL_TO_PASS: '["t1"]',
  };
  const t = parseTask(good, 'f:1', '/base');
  assert.deepEqual(t.failToPass, ['t1']);
  assert.equal(t.repo, '/base/r');
  assert.equal(t.testCommand, 'python3 -m pytest -q {test}');
  for (const [patch, message] of [
    [{ base_commit: 'abc' }, /f:1: "base_commit" must be a full commit id/],
    [{ FAIL_TO_PASS: [] }, /FAIL_TO_PASS" names no test/],
    [{ instance_id: '../x' }, /instance_id/],
    [{ test_command: 'make test' }, /must contain \{test\}/],
    [{ problem_statement: 3 }, /"problem_statement" must be a string/],
  ] as const) {
    assert.throws(
      () => parseTask({ ...good, ...patch }, 'f:1', '/base'),
      (e: Error) => {
        assert.ok(e instanceof TaskError);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test('totals: Wilson interval and unbiased pass@k', () => {
  const [lo, hi] = wilson(12, 12);
  assert.ok(lo > 0.75 && lo < 0.76 && hi === 1, `${lo} ${hi}`);
  assert.deepEqual(wilson(0, 0), [0, 1]);
  assert.equal(passAt(5, 0, 1), 0);
  assert.equal(passAt(5, 5, 3), 1);
  assert.ok(Math.abs(passAt(4, 1, 2) - 0.5) < 1e-12);
  const r = (id: string, attempt: number, status: TaskResult['status']): TaskResult => ({
    instanceId: id,
    attempt,
    status,
    wallMs: attempt * 1000,
    patchBytes: 0,
    patchFiles: 0,
  });
  const s = summarize(
    [r('a', 1, 'resolved'), r('a', 2, 'unresolved'), r('b', 1, 'error'), r('b', 2, 'unresolved')],
    2,
  );
  assert.equal(s.tasks, 2);
  assert.equal(s.resolved, 1);
  assert.equal(s.errors, 1);
  assert.equal(s.passAtK['pass@1'], 0.25);
  assert.equal(s.passAtK['pass@2'], 0.5);
  assert.equal(s.medianWallMs, 1000);
  assert.deepEqual(s.bestOfN, { resolved: 1, tasks: 2 });

  // Best of N: resolved beats unresolved, then more passing tests, then a smaller patch.
  const cand = (
    attempt: number,
    status: TaskResult['status'],
    passing: number,
    bytes: number,
  ): TaskResult => ({
    ...r('t', attempt, status),
    patchBytes: bytes,
    tests: Array.from({ length: 3 }, (_, i) => ({ id: `t${i}`, kind: 'PASS_TO_PASS', passed: i < passing })),
  });
  const pick = (...rs: TaskResult[]) => bestOf(rs).get('t')?.attempt;
  assert.equal(pick(cand(1, 'unresolved', 2, 10), cand(2, 'resolved', 3, 900)), 2);
  assert.equal(pick(cand(1, 'unresolved', 1, 10), cand(2, 'unresolved', 2, 900)), 2);
  assert.equal(pick(cand(1, 'resolved', 3, 900), cand(2, 'resolved', 3, 10)), 2);
  assert.equal(pick(cand(1, 'unresolved', 0, 0), cand(2, 'unresolved', 0, 10)), 2);
  assert.equal(pick(cand(1, 'resolved', 3, 10), cand(2, 'resolved', 3, 10)), 1);
});

test('stint eval: the oracle scores 100 %, a resumed run redoes nothing, an agent that changes nothing scores 0 %', {
  timeout: 3 * EVAL_HANG_MS,
}, async () => {
  const { file } = await subset();
  const out = join(tempDir(), 'out');
  const first = await stintEval(file, '--agent', 'cli', '--cli-preset', 'oracle', '--out', out);
  assert.match(first.stdout, /^Resolved 2\/2 \(100\.0 %/m, first.stdout + first.stderr);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.summary.resolveRate, 1);
  for (const r of report.results) {
    assert.equal(r.status, 'resolved');
    assert.match(r.sessionUrl, /\/sessions\//);
    assert.ok(r.patchFiles >= 1 && r.patchBytes > 0);
    assert.ok(r.tests.every((t: { passed: boolean }) => t.passed));
  }
  assert.match(
    readFileSync(join(out, 'report.md'), 'utf8'),
    /\| textkit-wordcount-empty \| 1 \| resolved \|/,
  );

  const sessionsBefore = readFileSync(join(out, 'sessions.jsonl'), 'utf8');
  const again = await stintEval(file, '--agent', 'cli', '--cli-preset', 'oracle', '--out', out);
  assert.match(again.stderr, /Resuming: 2 of 2 runs already finished/);
  assert.match(again.stdout, /^Resolved 2\/2/m);
  assert.equal(readFileSync(join(out, 'sessions.jsonl'), 'utf8'), sessionsBefore, 'no new session');

  const nothing = await stintEval(file, '--agent', 'scripted', '--out', join(tempDir(), 'out'));
  assert.match(nothing.stdout, /^Resolved 0\/2 \(0\.0 %/m, nothing.stdout + nothing.stderr);
});

test('a recorded model conversation resolves its task through the llm agent', async () => {
  const { tasks } = await subset(['textkit-wordcount-empty']);
  const fake = await startFakeOpenAI([
    { toolCalls: [{ name: 'read_file', args: { path: 'src/wordcount.js' } }] },
    {
      toolCalls: [
        {
          name: 'propose_plan',
          args: { steps: [{ title: 'Count no words in blank text', description: '' }] },
        },
      ],
    },
    {
      toolCalls: [
        { name: 'start_step', args: { step: 1 } },
        {
          name: 'edit_file',
          args: {
            path: 'src/wordcount.js',
            old_text: '  return String(text).trim().split(/\\s+/).length;',
            new_text:
              "  const trimmed = String(text).trim();\n  return trimmed === '' ? 0 : trimmed.split(/\\s+/).length;",
          },
        },
      ],
    },
    { toolCalls: [{ name: 'run_command', args: { command: 'node test/wordcount.test.js' } }] },
    { text: 'Blank text now counts 0 words.' },
  ]);
  fakes.push(fake);
  const out = tempDir();
  const target = await ownServer(
    join(out, 'server'),
    { agent: 'llm', model: 'openai-compatible:fake-coder' },
    {
      PATH: process.env.PATH ?? '',
      STINT_LOG_LEVEL: 'warn',
      STINT_MODEL_BASE_URL: fake.baseUrl,
      STINT_MODEL_API_KEY: 'sk-fake-eval-key',
    },
  );
  try {
    const { sandbox } = await selectSandbox('auto');
    const report = await runEval({
      tasks,
      outDir: out,
      target,
      sandbox,
      concurrency: 1,
      attempts: 1,
      sessionTimeoutMs: 120_000,
      testTimeoutMs: 60_000,
      validate: false,
      log: () => undefined,
      pollMs: 100,
    });
    const [r] = report.results;
    assert.equal(r?.status, 'resolved', JSON.stringify(r));
    assert.equal(r?.turns, 5);
    assert.ok((r?.inputTokens ?? 0) > 0 && (r?.outputTokens ?? 0) > 0);
    assert.equal(report.agent, 'llm (openai-compatible:fake-coder)');
  } finally {
    await target.close();
  }
});

test('judging: a fix that breaks a PASS_TO_PASS test is not resolved; a task that needs no fix is rejected', async () => {
  const { tasks } = await subset(['textkit-wordcount-empty']);
  const task = tasks[0]!;
  const out = tempDir();
  const repos = new TaskRepos(join(out, 'repos'));
  const local = await repos.forTask(task);
  const { sandbox } = await selectSandbox('auto');
  const opts = { sandbox, workDir: join(out, 'work'), testTimeoutMs: 60_000 };

  assert.equal((await judgePatch(task, local.path, task.goldPatch!, opts)).status, 'resolved');
  // The gold fix plus a change that breaks CSV parsing (a PASS_TO_PASS test), made with git.
  const work = join(out, 'w');
  git(out, ['clone', '-q', local.path, work]);
  git(work, ['checkout', '-q', task.baseCommit]);
  git(work, ['apply', '-'], task.goldPatch);
  const csv = join(work, 'src', 'csv.js');
  writeFileSync(csv, readFileSync(csv, 'utf8').replace("split(',')", "split(';')"));
  const breaking = git(work, ['diff']);
  const v = await judgePatch(task, local.path, breaking, opts);
  assert.equal(v.status, 'unresolved');
  assert.deepEqual(
    v.tests.filter((t) => !t.passed).map((t) => `${t.kind} ${t.id}`),
    ['PASS_TO_PASS test/csv.test.js'],
  );
  assert.match((v as { reason: string }).reason, /1 test failed: test\/csv\.test\.js \(PASS_TO_PASS\)/);
  assert.equal((await judgePatch(task, local.path, 'not a patch\n', opts)).status, 'unresolved');

  // FAIL_TO_PASS names a test that already passes on the base commit: the task measures nothing.
  const hollow = { ...task, instanceId: 'hollow', failToPass: ['test/csv.test.js'] };
  const evalOut = join(out, 'eval');
  const report = await runEval({
    tasks: [hollow],
    outDir: evalOut,
    target: {
      api: undefined as never,
      agent: 'none',
      sourceFor: async () => '',
      close: async () => undefined,
    },
    sandbox,
    concurrency: 1,
    attempts: 1,
    sessionTimeoutMs: 1000,
    testTimeoutMs: 60_000,
    validate: true,
    log: () => undefined,
  });
  assert.equal(report.results.length, 0);
  assert.deepEqual(report.rejected, [
    { instanceId: 'hollow', reason: 'FAIL_TO_PASS tests pass without a fix: test/csv.test.js' },
  ]);
});
