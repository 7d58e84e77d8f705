/** Every error path of the contract: right status, a message naming the problem, never a 5xx. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ERROR_DOMAIN, ERROR_REASONS } from '../../src/domain/errors.ts';
import { addSource, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

describe('API errors', () => {
  let server: StartedServer;
  let plainSession: string;

  before(async () => {
    const dataDir = makeTempDir();
    addSource(dataDir, 'github/acme/widgets', makeBareRepo());
    server = await startServer({ dataDir });
    const res = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('x', { plan: ['p'], steps: [] }),
    });
    assert.equal(res.status, 200);
    plainSession = res.body.id;
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${plainSession}`)).body.state === 'COMPLETED',
    );
  });
  after(async () => {
    await server?.cleanup();
  });

  const cases: {
    name: string;
    method: string;
    path: string | (() => string);
    body?: unknown;
    headers?: Record<string, string>;
    status: number;
    grpc: string;
    message: RegExp;
  }[] = [
    {
      name: 'bad JSON',
      method: 'POST',
      path: '/sessions',
      body: '{"prompt": ',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /JSON/,
    },
    {
      name: 'body not an object',
      method: 'POST',
      path: '/sessions',
      body: '[1,2]',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /object/,
    },
    {
      name: 'missing prompt',
      method: 'POST',
      path: '/sessions',
      body: {},
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /prompt is required/,
    },
    {
      name: 'prompt not a string',
      method: 'POST',
      path: '/sessions',
      body: { prompt: 5 },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /prompt/,
    },
    {
      name: 'empty prompt',
      method: 'POST',
      path: '/sessions',
      body: { prompt: '  ' },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /prompt/,
    },
    {
      name: 'bad automationMode enum',
      method: 'POST',
      path: '/sessions',
      body: { prompt: 'x', automationMode: 'SOMETIMES' },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /automationMode/,
    },
    {
      name: 'requirePlanApproval not boolean',
      method: 'POST',
      path: '/sessions',
      body: { prompt: 'x', requirePlanApproval: 'yes' },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /requirePlanApproval/,
    },
    {
      name: 'unknown source',
      method: 'POST',
      path: '/sessions',
      body: { prompt: 'x', sourceContext: { source: 'sources/github/acme/nope' } },
      status: 404,
      grpc: 'NOT_FOUND',
      message: /sources\/github\/acme\/nope/,
    },
    {
      name: 'malformed source name',
      method: 'POST',
      path: '/sessions',
      body: { prompt: 'x', sourceContext: { source: 'github/../../etc' } },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /sourceContext\.source/,
    },
    {
      name: 'hostile starting branch (option injection)',
      method: 'POST',
      path: '/sessions',
      body: {
        prompt: 'x',
        sourceContext: {
          source: 'sources/github/acme/widgets',
          githubRepoContext: { startingBranch: '--upload-pack=touch /tmp/pwned' },
        },
      },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /startingBranch/,
    },
    {
      name: 'hostile starting branch (path)',
      method: 'POST',
      path: '/sessions',
      body: {
        prompt: 'x',
        sourceContext: {
          source: 'sources/github/acme/widgets',
          githubRepoContext: { startingBranch: '../x' },
        },
      },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /startingBranch/,
    },
    {
      name: 'starting branch that does not exist',
      method: 'POST',
      path: '/sessions',
      body: {
        prompt: 'x',
        sourceContext: {
          source: 'sources/github/acme/widgets',
          githubRepoContext: { startingBranch: 'nope' },
        },
      },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /nope/,
    },
    {
      name: 'malformed stint-script',
      method: 'POST',
      path: '/sessions',
      body: { prompt: '```stint-script\n{"plan": 3}\n```' },
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /plan/,
    },
    {
      name: 'approvePlan in the wrong state',
      method: 'POST',
      path: () => `/sessions/${plainSession}:approvePlan`,
      body: {},
      status: 400,
      grpc: 'FAILED_PRECONDITION',
      message: /AWAITING_PLAN_APPROVAL/,
    },
    {
      name: 'unknown session',
      method: 'GET',
      path: '/sessions/1234567890',
      status: 404,
      grpc: 'NOT_FOUND',
      message: /sessions\/1234567890/,
    },
    {
      name: 'unknown session delete',
      method: 'DELETE',
      path: '/sessions/1234567890',
      status: 404,
      grpc: 'NOT_FOUND',
      message: /sessions\/1234567890/,
    },
    {
      name: 'unknown session approve',
      method: 'POST',
      path: '/sessions/1234567890:approvePlan',
      body: {},
      status: 404,
      grpc: 'NOT_FOUND',
      message: /sessions\/1234567890/,
    },
    {
      name: 'unknown session message',
      method: 'POST',
      path: '/sessions/1234567890:sendMessage',
      body: { prompt: 'hi' },
      status: 404,
      grpc: 'NOT_FOUND',
      message: /sessions\/1234567890/,
    },
    {
      name: 'unknown session activities',
      method: 'GET',
      path: '/sessions/1234567890/activities',
      status: 404,
      grpc: 'NOT_FOUND',
      message: /sessions\/1234567890/,
    },
    {
      name: 'unknown activity',
      method: 'GET',
      path: () => `/sessions/${plainSession}/activities/ffff`,
      status: 404,
      grpc: 'NOT_FOUND',
      message: /activities\/ffff/,
    },
    {
      name: 'unknown custom method',
      method: 'POST',
      path: () => `/sessions/${plainSession}:explode`,
      body: {},
      status: 404,
      grpc: 'NOT_FOUND',
      message: /explode/,
    },
    {
      name: 'sendMessage without prompt',
      method: 'POST',
      path: () => `/sessions/${plainSession}:sendMessage`,
      body: {},
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /prompt/,
    },
    {
      name: 'forged page token',
      method: 'GET',
      path: '/sessions?pageToken=abc.def',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /pageToken/,
    },
    {
      name: 'garbage page token',
      method: 'GET',
      path: () => `/sessions/${plainSession}/activities?pageToken=%%%`,
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /pageToken/,
    },
    {
      name: 'negative pageSize',
      method: 'GET',
      path: '/sessions?pageSize=-1',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /pageSize/,
    },
    {
      name: 'non-numeric pageSize',
      method: 'GET',
      path: '/sources?pageSize=ten',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /pageSize/,
    },
    {
      name: 'unparseable filter',
      method: 'GET',
      path: '/sessions?filter=%3D%3D%3D',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /filter/,
    },
    {
      name: 'unknown filter field',
      method: 'GET',
      path: '/sessions?filter=color%20%3D%20red',
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /color/,
    },
    {
      name: 'bad create_time filter',
      method: 'GET',
      path: () => `/sessions/${plainSession}/activities?filter=create_time%3E%22yesterday%22`,
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /yesterday/,
    },
    {
      name: 'bad createTime param',
      method: 'GET',
      path: () => `/sessions/${plainSession}/activities?createTime=soon`,
      status: 400,
      grpc: 'INVALID_ARGUMENT',
      message: /soon/,
    },
    {
      name: 'unknown source get',
      method: 'GET',
      path: '/sources/github/acme/nope',
      status: 404,
      grpc: 'NOT_FOUND',
      message: /nope/,
    },
    {
      name: 'missing key',
      method: 'GET',
      path: '/sessions',
      headers: { 'x-goog-api-key': '' },
      status: 401,
      grpc: 'UNAUTHENTICATED',
      message: /API key/,
    },
    {
      name: 'wrong key',
      method: 'GET',
      path: '/sessions',
      headers: { 'x-goog-api-key': 'wrong' },
      status: 401,
      grpc: 'UNAUTHENTICATED',
      message: /API key/,
    },
    {
      name: 'unknown route',
      method: 'GET',
      path: '/nothing/here',
      status: 404,
      grpc: 'NOT_FOUND',
      message: /nothing/,
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const path = typeof c.path === 'function' ? c.path() : c.path;
      const res = await api(server, c.method, path, c.body, c.headers);
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      assert.equal(res.body.error?.code, c.status);
      assert.equal(res.body.error?.status, c.grpc);
      assert.match(res.body.error?.message, c.message);
      // One google.rpc.ErrorInfo, its reason from the catalogue (src/domain/errors.ts).
      const [info, ...rest] = res.body.error?.details ?? [];
      assert.equal(rest.length, 0);
      assert.equal(info?.['@type'], 'type.googleapis.com/google.rpc.ErrorInfo');
      assert.equal(info?.domain, ERROR_DOMAIN);
      assert.ok(ERROR_REASONS.includes(info?.reason), String(info?.reason));
    });
  }

  test('ErrorInfo reasons name the cause clients switch on', async () => {
    const reason = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      (await api(server, method, path, body, headers)).body.error?.details?.[0];
    assert.equal(
      (await reason('GET', '/sessions', undefined, { 'x-goog-api-key': 'wrong' })).reason,
      'UNAUTHENTICATED',
    );
    assert.equal((await reason('GET', '/nothing/here')).reason, 'ROUTE_NOT_FOUND');
    assert.equal((await reason('GET', '/sessions/nope')).reason, 'NOT_FOUND');
    assert.deepEqual(await reason('POST', `/sessions/${plainSession}:bogus`, {}), {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'METHOD_NOT_FOUND',
      domain: ERROR_DOMAIN,
      metadata: { method: 'bogus' },
    });
    assert.deepEqual((await reason('POST', '/sessions', { prompt: 'x', bogus: 1 })).metadata, {
      field: 'bogus',
    });
    assert.equal((await reason('POST', '/sessions', { prompt: 'x', bogus: 1 })).reason, 'UNKNOWN_FIELD');
    const missing = await reason('POST', '/sessions', { sourceContext: { source: 'sources/x' } });
    assert.equal(missing.reason, 'INVALID_FIELD');
    assert.deepEqual(missing.metadata, { field: 'prompt' });
  });

  test('Authorization: Bearer works as well as X-Goog-Api-Key', async () => {
    const res = await api(server, 'GET', '/sessions', undefined, {
      'x-goog-api-key': '',
      authorization: `Bearer ${server.apiKey}`,
    });
    assert.equal(res.status, 200);
  });

  test('nothing was started by the hostile branch', async () => {
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync('/tmp/pwned'), false);
  });
});
