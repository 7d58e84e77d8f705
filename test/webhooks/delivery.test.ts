/**
 * Webhooks end to end: a receiver on 127.0.0.1 that is down for the first deliveries, while the
 * server is even killed and restarted, still gets every event once it is up, each signed per
 * Standard Webhooks (verified with the `standardwebhooks` library); the delivery log shows every
 * attempt; a manual redelivery sends the same webhook-id again; endpoint filters; CLI registration.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

interface Received {
  path: string;
  id: string;
  headers: Record<string, string>;
  body: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function startReceiver(port: number, got: Received[]): Promise<Server> {
  const srv = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      got.push({ path: req.url ?? '', id: headers['webhook-id'] ?? '', headers, body });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

const servers: StartedServer[] = [];
const receivers: Server[] = [];
after(async () => {
  for (const r of receivers) await new Promise((res) => r.close(res));
  for (const s of servers) await s.cleanup();
});

test('a receiver that is down at first gets every event, signed, once it is up — across a server restart', async () => {
  const port = await freePort();
  const hook = `http://127.0.0.1:${port}`;
  const dataDir = makeTempDir();
  // The receiver is on loopback: webhooks reach it only because the operator allows it.
  const env = {
    STINT_WEBHOOK_RETRY_BASE_MS: '100',
    STINT_WEBHOOK_RETRY_MAX_MS: '800',
    STINT_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32',
  };

  // One endpoint registered with the CLI before the server starts (only completions) ...
  const cliOut = execFileSync(
    process.execPath,
    [
      cliEntry,
      'webhooks',
      'add',
      '--url',
      `${hook}/cli`,
      '--events',
      'session.completed',
      '--data-dir',
      dataDir,
    ],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  );
  const cliSecret = /Signing secret \(shown once\): (whsec_\S+)/.exec(cliOut)![1]!;
  const cliId = cliOut.split('\t')[0]!;
  assert.match(
    execFileSync(process.execPath, [cliEntry, 'webhooks', 'list', '--data-dir', dataDir], {
      encoding: 'utf8',
    }),
    new RegExp(`^${cliId}\\tenabled\\t${hook}/cli\\tsession.completed`),
  );

  const first = await startServer({ dataDir, keepDataDir: true, env });
  servers.push(first);
  // ... and one through the API, for every event.
  const created = await api(first, 'POST', '/webhooks', { url: `${hook}/all`, description: 'everything' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const endpoint = created.body;
  assert.match(endpoint.secret, /^whsec_/);
  assert.deepEqual(endpoint.eventTypes, []);
  const shown = await api(first, 'GET', `/webhooks/${endpoint.id}`);
  assert.equal(shown.body.secret, undefined, 'the secret is shown only at creation');
  assert.equal((await api(first, 'POST', '/webhooks', { url: 'ftp://x' })).status, 400);
  assert.equal((await api(first, 'POST', '/webhooks', { url: hook, eventTypes: ['nope'] })).status, 400);

  const session = await api(first, 'POST', '/sessions', {
    prompt: scriptPrompt('notify me', {
      plan: ['a'],
      steps: [{ message: 'hi' }, { write: { path: 'f.txt', content: 'x\n' } }],
    }),
  });
  const id = session.body.id as string;
  await waitUntil(
    async () => (await api(first, 'GET', `/sessions/${id}`)).body.state === 'COMPLETED',
    120_000,
  );
  // Every delivery has been tried and failed at least once: the receiver is down.
  await waitUntil(async () => {
    const log = (await api(first, 'GET', `/webhooks/${endpoint.id}/deliveries?pageSize=100`)).body.deliveries;
    return log.length > 0 && log.every((d: any) => d.attempts >= 1 && d.status === 'PENDING')
      ? log
      : undefined;
  });

  // The server dies and comes back; then the receiver comes up.
  await first.kill();
  const second = await startServer({ dataDir, apiKey: first.apiKey, env });
  servers.push(second);
  const got: Received[] = [];
  receivers.push(await startReceiver(port, got));

  const activities = (await api(second, 'GET', `/sessions/${id}/activities?pageSize=100`)).body
    .activities as any[];
  const all = () => got.filter((g) => g.path === '/all');
  await waitUntil(async () => {
    const log = (await api(second, 'GET', `/webhooks/${endpoint.id}/deliveries?pageSize=100`)).body
      .deliveries;
    return log.every((d: any) => d.status === 'SUCCEEDED') && all().length >= log.length;
  });

  // Signatures verify with the standardwebhooks library; each event arrives exactly once.
  const wh = new Webhook(endpoint.secret);
  const events = all().map((g) => ({ id: g.id, event: wh.verify(g.body, g.headers) as any }));
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event twice');
  assert.throws(
    () => new Webhook(cliSecret).verify(all()[0]!.body, all()[0]!.headers),
    'other secrets do not verify',
  );
  const types = events.map((e) => e.event.type);
  assert.equal(types.filter((t) => t === 'session.created').length, 1);
  assert.equal(types.filter((t) => t === 'session.completed').length, 1);
  const states = events
    .filter((e) => e.event.type === 'session.state_changed')
    .map((e) => e.event.data.state);
  for (const s of ['PLANNING', 'IN_PROGRESS', 'COMPLETED']) assert.ok(states.includes(s), `state ${s}`);
  const delivered = events
    .filter((e) => e.event.type === 'activity.created')
    .map((e) => e.event.data.activity)
    .sort((a, b) => a.createTime.localeCompare(b.createTime));
  assert.deepEqual(delivered, activities, 'every activity, exactly as GET returns it');
  for (const e of events) {
    assert.match(e.event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    if (e.event.data.session?.id) assert.equal(e.event.data.session.id, id);
  }

  // The filtered CLI endpoint got only the completion, verified with its own secret.
  await waitUntil(() => got.some((g) => g.path === '/cli'));
  const cliEvents = got
    .filter((g) => g.path === '/cli')
    .map((g) => new Webhook(cliSecret).verify(g.body, g.headers) as any);
  assert.deepEqual(
    cliEvents.map((e) => e.type),
    ['session.completed'],
  );

  // The delivery log: failed attempts (connection refused), then a 2xx.
  const log = (await api(second, 'GET', `/webhooks/${endpoint.id}/deliveries?pageSize=100`)).body.deliveries;
  const one = (await api(second, 'GET', `/webhooks/${endpoint.id}/deliveries/${log[0].id}`)).body;
  assert.equal(one.status, 'SUCCEEDED');
  assert.ok(one.attemptLog.length >= 2);
  assert.ok(one.attemptLog.slice(0, -1).every((a: any) => a.error && a.statusCode === undefined));
  assert.equal(one.attemptLog.at(-1).statusCode, 204);
  assert.equal(one.payload.type, one.eventType);
  const failedOnly = await api(
    second,
    'GET',
    `/webhooks/${endpoint.id}/deliveries?filter=${encodeURIComponent('status = FAILED')}`,
  );
  assert.deepEqual(failedOnly.body.deliveries, []);

  // Manual redelivery sends the same message (same webhook-id) again.
  const before = all().length;
  const re = await api(second, 'POST', `/webhooks/${endpoint.id}/deliveries/${one.id}:redeliver`, {});
  assert.equal(re.status, 200, JSON.stringify(re.body));
  await waitUntil(() => all().length > before);
  assert.equal(all().at(-1)!.id, one.eventId);
  const again = (await api(second, 'GET', `/webhooks/${endpoint.id}/deliveries/${one.id}`)).body;
  assert.equal(again.attemptLog.at(-1).trigger, 'MANUAL');

  // A test ping, and the endpoint list.
  const ping = await api(second, 'POST', `/webhooks/${endpoint.id}:test`, {});
  assert.equal(ping.body.eventType, 'webhook.test');
  await waitUntil(() => all().some((g) => JSON.parse(g.body).type === 'webhook.test'));
  const list = await api(second, 'GET', '/webhooks');
  assert.deepEqual(list.body.webhooks.map((w: any) => w.id).sort(), [cliId, endpoint.id].sort());
  assert.equal((await api(second, 'DELETE', `/webhooks/${endpoint.id}`)).status, 200);
  assert.equal((await api(second, 'GET', `/webhooks/${endpoint.id}`)).status, 404);
});
