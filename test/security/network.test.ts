/** Network per source, end to end: off by default; on for a source registered with network allowed. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { bubblewrapGate } from '../support/sandbox-probe.ts';
import { nodeDir, tcpClientCommand } from '../support/tcp-client.ts';
import { eventually, startTestStint, type TestStint } from './helpers.ts';

// Fails (does not skip) where bwrap cannot build a sandbox, unless STINT_TEST_ALLOW_NO_SANDBOX=1.
const gate = await bubblewrapGate();
const { skip } = gate;

let t: TestStint;
let bare: string;
let server: Server;
let port: number;

before(async () => {
  if (skip) return;
  gate.require();
  server = createServer((s) => s.end('reached-the-host\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  // The tests' own node is the TCP client, so the test needs nothing else installed.
  t = await startTestStint({
    worker: true,
    env: { STINT_SANDBOX: 'bubblewrap', STINT_SANDBOX_READ_ONLY_PATHS: nodeDir },
  });
  bare = makeBareRepo();
  for (const [id, network] of [
    ['github/net/closed', false],
    ['github/net/open', true],
  ] as const) {
    await t.stint.store.putSource({
      tenantId: 'net',
      id,
      gitUrl: bare,
      isPrivate: false,
      config: network ? { network: true } : {},
      createTime: Date.now() * 1000,
    });
  }
});

after(async () => {
  await t?.close();
  if (bare) rmSync(dirname(bare), { recursive: true, force: true });
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

test('commands reach the host network only on a source that allows it', { skip }, async () => {
  const key = await t.key('net');
  const connect = `${tcpClientCommand(port)} 2>&1 || echo failed-to-connect`;
  const results: Record<string, string> = {};
  for (const source of ['github/net/closed', 'github/net/open']) {
    const created = await t.call(key, 'POST', '/v1alpha/sessions', {
      prompt: scriptPrompt('connect', { plan: ['try'], steps: [{ run: connect }] }),
      sourceContext: { source: `sources/${source}` },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await eventually(async () => {
      const s = (await t.call(key, 'GET', `/v1alpha/sessions/${created.body.id}`)).body;
      return s.state === 'COMPLETED' || s.state === 'FAILED';
    });
    const acts = (await t.call(key, 'GET', `/v1alpha/sessions/${created.body.id}/activities`)).body
      .activities;
    results[source] = JSON.stringify(acts);
  }
  assert.match(results['github/net/closed']!, /no-connection/, 'the client ran and was refused');
  assert.doesNotMatch(results['github/net/closed']!, /reached-the-host/);
  assert.match(results['github/net/open']!, /reached-the-host/);
});
