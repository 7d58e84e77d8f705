/** Setup's runner alone: steps in order, one time limit for all, output in a bounded number of pieces. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunRequest, RunResult, Sandbox } from '../../src/sandbox/sandbox.ts';
import { MAX_OUTPUT_PIECES, runSetup } from '../../src/setup/run-setup.ts';
import type { SetupPlan } from '../../src/setup/setup-plan.ts';

/** A sandbox whose commands print `lines` lines (one per tick) and exit with `exit`. */
function fakeSandbox(lines: number, exit = 0, seen: RunRequest[] = []): Sandbox {
  return {
    kind: 'fake',
    async run(req): Promise<RunResult> {
      seen.push(req);
      for (let i = 0; i < lines; i++) {
        req.onOutput?.(Buffer.from(`${req.command} line ${i} ${'x'.repeat(100)}\n`));
        await sleep(1);
      }
      return { exitCode: exit, output: '', timedOut: false, aborted: false, durationMs: 1 };
    },
  };
}

const plan = (commands: string[], timeoutMs = 60_000): SetupPlan => ({
  steps: commands.map((c) => ({ label: c, command: c })),
  fromScript: false,
  timeoutMs,
});

test('a chatty setup is shown in at most MAX_OUTPUT_PIECES pieces, and a failure names its step', async () => {
  const pieces: string[] = [];
  const seen: RunRequest[] = [];
  const r = await runSetup({
    sandbox: fakeSandbox(500, 0, seen),
    cwd: '/nowhere',
    plan: plan(['first', 'second']),
    maxOutputBytes: 1 << 20,
    signal: new AbortController().signal,
    flushMs: 4,
    onOutput: async (_step, text) => {
      pieces.push(text);
    },
  });
  assert.equal(r.ok, true);
  assert.deepEqual(
    seen.map((s) => s.command),
    ['first', 'second'],
  );
  assert.ok(seen.every((s) => s.env?.CI === '1' && s.env?.STINT_SETUP === '1'));
  assert.ok(pieces.length <= MAX_OUTPUT_PIECES, `${pieces.length} pieces`);
  assert.ok(pieces.every((p) => p.length <= 8 * 1024 + 100));

  const failed = await runSetup({
    sandbox: fakeSandbox(3, 2),
    cwd: '/nowhere',
    plan: plan(['broken step', 'never']),
    maxOutputBytes: 1 << 20,
    signal: new AbortController().signal,
    onOutput: async () => {},
  });
  assert.equal(failed.ok, false);
  assert.match(
    !failed.ok ? failed.reason : '',
    /^Setup failed: `broken step` exited with code 2\.\nLast output:\n[\s\S]*broken step line 2/,
  );
});

test('the time limit covers all steps: a step never gets more than what is left', async () => {
  const seen: RunRequest[] = [];
  await runSetup({
    sandbox: fakeSandbox(1, 0, seen),
    cwd: '/nowhere',
    plan: plan(['a', 'b'], 5000),
    maxOutputBytes: 1024,
    signal: new AbortController().signal,
    onOutput: async () => {},
  });
  assert.ok(seen.every((s) => s.timeoutMs <= 5000 && s.timeoutMs > 0));
});
