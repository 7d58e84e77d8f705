/** `stint mcp` over stdio, driven by the MCP SDK's own client: create a session and follow it to the end. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { cliEntry, makeTempDir, type StartedServer, startServer } from '../support/server.ts';

let server: StartedServer;
let client: Client;
const configHome = makeTempDir('stint-mcp-config-');
// Bounds each MCP request so a hang fails, well above the SDK's 60 s default: on a busy machine,
// starting `stint mcp` and following a session can take longer than that.
const REQUEST = { timeout: 300_000 };

before(async () => {
  server = await startServer();
  client = new Client({ name: 'stint-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cliEntry, 'mcp'],
      env: {
        ...(process.env as Record<string, string>),
        STINT_SERVER: server.origin,
        STINT_API_KEY: server.apiKey,
        XDG_CONFIG_HOME: configHome,
      },
      stderr: 'pipe',
    }),
    REQUEST,
  );
});

after(async () => {
  await client?.close();
  await server?.cleanup();
  rmSync(configHome, { recursive: true, force: true });
});

async function call(name: string, args: Record<string, unknown>): Promise<any> {
  const res = (await client.callTool({ name, arguments: args }, undefined, REQUEST)) as {
    isError?: boolean;
    content: { text: string }[];
  };
  assert.ok(!res.isError, `${name}: ${res.content[0]?.text}`);
  return JSON.parse(res.content[0]!.text);
}

/**
 * follow_session until the session reaches `state` (each call returns when the session waits, ends, or
 * its 30 s are up, however far a busy machine got): the activities of every call, in order.
 */
async function followUntil(session: string, state: string, afterActivityId?: string): Promise<any> {
  const activities: any[] = [];
  let last = afterActivityId;
  for (let round = 0; round < 20; round++) {
    const r = await call('follow_session', {
      session,
      ...(last ? { afterActivityId: last } : {}),
      timeoutSeconds: 30,
    });
    activities.push(...r.activities);
    last = r.lastActivityId ?? last;
    if (r.state === state || r.done) return { ...r, activities, lastActivityId: last };
  }
  throw new Error(`session ${session} did not reach ${state} in 20 rounds of follow_session`);
}

test('an MCP client creates a session and follows it through approval, a question and completion', async () => {
  const tools = (await client.listTools(undefined, REQUEST)).tools.map((t) => t.name);
  for (const t of [
    'create_session',
    'list_sessions',
    'get_session',
    'list_activities',
    'follow_session',
    'approve_plan',
    'send_message',
  ]) {
    assert.ok(tools.includes(t), t);
  }

  const session = await call('create_session', {
    prompt: scriptPrompt('Write a greeting', {
      plan: ['Write hello.txt'],
      steps: [
        { write: { path: 'hello.txt', content: 'hi\n' } },
        { ask: 'Shall I sign it?' },
        { message: 'Signed.' },
      ],
    }),
    requirePlanApproval: true,
  });
  assert.equal(session.state, 'QUEUED');

  const planned = await followUntil(session.name, 'AWAITING_PLAN_APPROVAL');
  assert.equal(planned.state, 'AWAITING_PLAN_APPROVAL');
  assert.ok(planned.activities.some((a: any) => a.summary === 'plan: Write hello.txt'));

  await call('approve_plan', { session: session.id });
  const asked = await followUntil(session.id, 'AWAITING_USER_FEEDBACK', planned.lastActivityId);
  assert.equal(asked.state, 'AWAITING_USER_FEEDBACK');
  assert.equal(asked.activities.at(-1).summary, 'agent: Shall I sign it?');
  assert.ok(
    !asked.activities.some((a: any) => planned.activities.some((p: any) => p.id === a.id)),
    'nothing twice',
  );

  await call('send_message', { session: session.id, message: 'Yes please' });
  const done = await followUntil(session.id, 'COMPLETED', asked.lastActivityId);
  assert.equal(done.state, 'COMPLETED');
  assert.equal(done.done, true);
  assert.equal(done.activities.at(-1).summary, 'session completed');

  const all = await call('list_activities', { session: session.id, pageSize: 100 });
  assert.deepEqual(
    all.activities.map((a: any) => a.id),
    [...planned.activities, ...asked.activities, ...done.activities].map((a: any) => a.id),
  );
  const later = await call('list_activities', { session: session.id, afterActivityId: asked.lastActivityId });
  assert.deepEqual(
    later.activities.map((a: any) => a.id),
    done.activities.map((a: any) => a.id),
  );

  const got = await call('get_session', { session: session.id });
  assert.match(got.outputs[0].changeSet.gitPatch.unidiffPatch, /hello.txt/);
  const list = await call('list_sessions', { state: 'COMPLETED' });
  assert.ok(list.sessions.some((s: any) => s.id === session.id));

  const missing = (await client.callTool(
    { name: 'get_session', arguments: { session: '12345' } },
    undefined,
    REQUEST,
  )) as any;
  assert.equal(missing.isError, true);
  assert.match(missing.content[0].text, /404 NOT_FOUND/);
});
