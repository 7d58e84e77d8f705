/** :cancel stops a running step (a sleep, a command) within 5 s and ends FAILED "cancelled"; :pause / :resume. */
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

  test('cancel stops a running sleep step within 5 s', async () => {
    const id = await create([{ progress: 'before' }, { sleep: 60_000 }, { message: 'never' }]);
    await waitUntil(
      async () => (await activities(id)).some((a) => a.progressUpdated?.title === 'before') && driving(id),
      20_000,
    );
    const started = Date.now();
    const res = await api(server, 'POST', `/sessions/${id}:cancel`, {});
    assert.equal(res.status, 200);
    assert.equal(res.body.state, 'FAILED');
    await waitUntil(() => !driving(id), 5_000, 20);
    assert.ok(Date.now() - started < 5_000);
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

  test('cancel kills a running command (sleep 100) and its process group within 5 s', async () => {
    // A unique duration marks this test's command among the machine's processes.
    const marker = `100.${process.pid}${Date.now() % 100_000}`;
    const id = await create([{ run: `sleep ${marker}` }, { message: 'never' }]);
    // Wait for the command itself (not only the sandbox starting around it).
    await waitUntil(() => running(marker, 'sleep').length > 0, 20_000);
    const started = Date.now();
    assert.equal((await api(server, 'POST', `/sessions/${id}:cancel`, {})).status, 200);
    await waitUntil(() => running(marker).length === 0 && !driving(id), 5_000, 20).catch((e) => {
      const left = running(marker).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      throw new Error(`still running: ${JSON.stringify(left)}; driving: ${driving(id)}`, { cause: e });
    });
    assert.ok(Date.now() - started < 5_000);
    const acts = await activities(id);
    assert.deepEqual(acts.slice(-1).map(kind), ['sessionFailed']);
    assert.equal(acts.at(-1).sessionFailed.reason, 'cancelled');
    // The interrupted command is not reported as a step.
    assert.ok(!acts.some((a) => a.progressUpdated?.title?.startsWith('Ran ')));
  });

  test('pause stops the agent; resume continues and every step is recorded once', async () => {
    const id = await create([{ message: 'one' }, { sleep: 1500 }, { message: 'two' }]);
    await waitUntil(
      async () => (await activities(id)).some((a) => a.agentMessaged?.agentMessage === 'one'),
      20_000,
    );
    const paused = await api(server, 'POST', `/sessions/${id}:pause`, {});
    assert.equal(paused.status, 200);
    assert.equal(paused.body.state, 'PAUSED');
    await waitUntil(() => !driving(id), 5_000, 20);
    assert.equal((await api(server, 'POST', `/sessions/${id}:pause`, {})).status, 400, 'already paused');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.state, 'PAUSED');
    const resumed = await api(server, 'POST', `/sessions/${id}:resume`, {});
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.state, 'IN_PROGRESS');
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'COMPLETED',
      20_000,
    );
    const messages = (await activities(id))
      .filter((a) => a.agentMessaged)
      .map((a) => a.agentMessaged.agentMessage);
    assert.deepEqual(messages, ['one', 'two']);
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
      20_000,
    );
    assert.equal((await api(server, 'POST', `/sessions/${id}:pause`, {})).body.state, 'PAUSED');
    assert.equal(
      (await api(server, 'POST', `/sessions/${id}:resume`, {})).body.state,
      'AWAITING_PLAN_APPROVAL',
    );
    assert.equal((await api(server, 'POST', `/sessions/${id}:approvePlan`, {})).status, 200);
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'COMPLETED',
      20_000,
    );
  });
});
