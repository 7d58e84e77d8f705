/**
 * :cancel stops a running step (a sleep, a command) and ends FAILED "cancelled"; :pause / :resume.
 * The steps stopped here would run for an hour: that they stop at all proves the interruption, on a
 * machine of any speed (the waits are bounded only to fail a hang).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { activityKind } from '../support/activities.ts';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, waitUntil } from '../support/server.ts';

const kind = activityKind;

/**
 * Processes (any PID namespace, e.g. inside a bubblewrap sandbox) whose command line contains
 * `marker`; with `program`, only those running that program (argv[0]), not the sandbox around them.
 */
function running(marker: string, program?: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const argv0 = cmd.split(' ')[0]!;
      const matches = cmd.includes(marker) && (program === undefined || argv0.split('/').pop() === program);
      if (matches && !/\) Z /.test(stat)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const FOREVER_MS = 3_600_000;
/** Bounds a wait so a hang fails; a busy machine is slow, the wait ends as soon as its condition holds. */
const HANG_MS = 120_000;

describe('cancel, pause and resume', () => {
  let server: InProcessServer;
  before(async () => {
    server = await startInProcess();
  });
  after(async () => {
    await server?.close();
  });

  const create = async (steps: unknown[]) => {
    const res = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('task', { plan: ['p'], steps }),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const activities = async (id: string) =>
    (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities as any[];
  const driving = (id: string) => server.stint.worker!.isDriving(id);

  test('cancel stops a running sleep step', async () => {
    const id = await create([{ progress: 'before' }, { sleep: FOREVER_MS }, { message: 'never' }]);
    await waitUntil(
      async () => (await activities(id)).some((a) => a.progressUpdated?.title === 'before') && driving(id),
      HANG_MS,
    );
    const res = await api(server, 'POST', `/sessions/${id}:cancel`, {});
    assert.equal(res.status, 200);
    assert.equal(res.body.state, 'FAILED');
    await waitUntil(() => !driving(id), HANG_MS, 20);
    const acts = await activities(id);
    const last = acts[acts.length - 1];
    assert.equal(kind(last), 'sessionFailed');
    assert.equal(last.sessionFailed.reason, 'cancelled');
    assert.equal(last.originator, 'system');
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.state, 'FAILED');
    // Cancelling twice, or pausing a cancelled session, is a precondition failure.
    assert.equal(
      (await api(server, 'POST', `/sessions/${id}:cancel`, {})).body.error.status,
      'FAILED_PRECONDITION',
    );
    assert.equal((await api(server, 'POST', `/sessions/${id}:pause`, {})).status, 400);
  });

  test('cancel kills a running command (an hour-long sleep) and its process group', async () => {
    // A unique duration marks this test's command among the machine's processes.
    const marker = `3600.${process.pid}${Date.now() % 100_000}`;
    const id = await create([{ run: `sleep ${marker}` }, { message: 'never' }]);
    // Wait for the command itself (not only the sandbox starting around it).
    await waitUntil(() => running(marker, 'sleep').length > 0, HANG_MS);
    assert.equal((await api(server, 'POST', `/sessions/${id}:cancel`, {})).status, 200);
    await waitUntil(() => running(marker).length === 0 && !driving(id), HANG_MS, 20).catch((e) => {
      const left = running(marker).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      throw new Error(`still running: ${JSON.stringify(left)}; driving: ${driving(id)}`, { cause: e });
    });
    const acts = await activities(id);
    assert.deepEqual(acts.slice(-1).map(kind), ['sessionFailed']);
    assert.equal(acts.at(-1).sessionFailed.reason, 'cancelled');
    // The interrupted command is not reported as a step.
    assert.ok(!acts.some((a) => a.progressUpdated?.title?.startsWith('Ran ')));
  });

  test('pause stops the agent; resume continues and every step is recorded once', async () => {
    // The command blocks for an hour the first time (the pause must interrupt it) and returns at once
    // when replayed after the resume (its workspace keeps the file it left).
    const marker = `3600.${process.pid}${Date.now() % 100_000}`;
    const gate = `if [ -e .paused-once ]; then echo replayed; else touch .paused-once; exec sleep ${marker}; fi`;
    const id = await create([{ message: 'one' }, { run: gate }, { message: 'two' }]);
    await waitUntil(() => running(marker, 'sleep').length > 0, HANG_MS);
    const paused = await api(server, 'POST', `/sessions/${id}:pause`, {});
    assert.equal(paused.status, 200);
    assert.equal(paused.body.state, 'PAUSED');
    await waitUntil(() => !driving(id) && running(marker).length === 0, HANG_MS, 20);
    assert.equal((await api(server, 'POST', `/sessions/${id}:pause`, {})).status, 400, 'already paused');
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.state, 'PAUSED');
    assert.equal(driving(id), false, 'a paused session is not picked up again');
    const resumed = await api(server, 'POST', `/sessions/${id}:resume`, {});
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.state, 'IN_PROGRESS');
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'COMPLETED',
      HANG_MS,
    );
    const acts = await activities(id);
    const messages = acts.filter((a) => a.agentMessaged).map((a) => a.agentMessaged.agentMessage);
    assert.deepEqual(messages, ['one', 'two']);
    const ran = acts.filter((a) => a.progressUpdated?.title?.startsWith('Ran '));
    assert.equal(ran.length, 1, 'the interrupted command is recorded once, when it completed');
    assert.match(ran[0].progressUpdated.description, /replayed/);
    assert.equal((await api(server, 'POST', `/sessions/${id}:resume`, {})).status, 400, 'not paused');
  });

  test('a session paused while awaiting plan approval goes back to waiting for it', async () => {
    const res = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('approve me', { plan: ['p'], steps: [{ message: 'worked' }] }),
      requirePlanApproval: true,
    });
    const id = res.body.id;
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'AWAITING_PLAN_APPROVAL',
      HANG_MS,
    );
    assert.equal((await api(server, 'POST', `/sessions/${id}:pause`, {})).body.state, 'PAUSED');
    assert.equal(
      (await api(server, 'POST', `/sessions/${id}:resume`, {})).body.state,
      'AWAITING_PLAN_APPROVAL',
    );
    assert.equal((await api(server, 'POST', `/sessions/${id}:approvePlan`, {})).status, 200);
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'COMPLETED',
      HANG_MS,
    );
  });
});
