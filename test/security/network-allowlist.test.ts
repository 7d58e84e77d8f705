/**
 * The network allowlist end to end: a source registered with `stint sources add --allow-host` and
 * changed with `sources update`; a session on it reaches the allowed fake host (127.0.0.1, listed as
 * an IP literal, so nothing is resolved) through the proxy, and a host off the list is refused and
 * reported as one activity naming it, however often the agent tries. The rule a session gets from the
 * server's and the source's settings is checked as a function.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { buildSecurityConfig } from '../../src/security/security-config.ts';
import { sessionNetwork } from '../../src/security/setup.ts';
import { parseSourceConfig } from '../../src/sources/source-config.ts';
import { runCli } from '../cli/run-cli.ts';
import { makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { bubblewrapGate } from '../support/sandbox-probe.ts';
import { makeTempDir } from '../support/server.ts';
import { eventually, startTestStint, type TestStint } from './helpers.ts';

const gate = await bubblewrapGate();
const { skip } = gate;

let t: TestStint | undefined;
let bare: string;
let host: http.Server;
let port: number;
let dataDir: string;

before(async () => {
  if (skip) return;
  gate.require();
  host = http.createServer((req, res) =>
    res.end(`fake host says hello to ${req.headers.host} for ${req.url}\n`),
  );
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  port = (host.address() as AddressInfo).port;
  bare = makeBareRepo();
  dataDir = makeTempDir('stint-allowlist-');
  const cli = (args: string[]) => runCli([...args, '--data-dir', dataDir, '--tenant', 'fw']);
  const add = await cli([
    'sources',
    'add',
    'github/fw/app',
    '--git-url',
    bare,
    '--allow-host',
    'Registry.Example.',
  ]);
  assert.equal(add.code, 0, add.stderr);
  const bad = await cli(['sources', 'update', 'github/fw/app', '--allow-host', '*.com']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--allow-host: '\*\.com' is not a host pattern/);
  const update = await cli(['sources', 'update', 'github/fw/app', '--allow-host', '127.0.0.1']);
  assert.equal(update.code, 0, update.stderr);
  assert.match(update.stdout, /commands may reach registry\.example, 127\.0\.0\.1/);
  // A source whose agent stays offline while its setup fetches from the (fake) registry.
  const setup = await cli([
    'sources',
    'add',
    'github/fw/offline',
    '--git-url',
    bare,
    '--setup',
    `curl -sS --max-time 30 --noproxy '' http://127.0.0.1:${port}/setup > fetched.txt`,
    '--setup-allow-host',
    '127.0.0.1',
  ]);
  assert.equal(setup.code, 0, setup.stderr);
  t = await startTestStint({
    worker: true,
    dataDir,
    // The fake host is on the loopback: the operator's opt-in lets the proxy reach it.
    env: { STINT_SANDBOX: 'bubblewrap', STINT_SANDBOX_ALLOW_PRIVATE: '127.0.0.0/8' },
  });
});

after(async () => {
  await t?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (bare) rmSync(dirname(bare), { recursive: true, force: true });
  host?.closeAllConnections();
  await new Promise((r) => (host ? host.close(r) : r(undefined)));
});

test('a session reaches allowed hosts through the proxy, and each blocked host is reported once', {
  skip,
}, async () => {
  const stint = t!;
  const source = await stint.stint.store.getSource('fw', 'github/fw/app');
  assert.deepEqual(source?.config['allowHosts'], ['registry.example', '127.0.0.1']);
  const key = await stint.key('fw');
  // `--noproxy ''`: use the proxy for 127.0.0.1 too (NO_PROXY lists the sandbox's own loopback).
  const allowed = `curl -sS --max-time 30 --noproxy '' http://127.0.0.1:${port}/`;
  const blocked = `curl -sS --max-time 30 http://blocked.example:${port}/ || true`;
  const created = await stint.call(key, 'POST', '/v1alpha/sessions', {
    prompt: scriptPrompt('network', {
      plan: ['try'],
      steps: [{ run: allowed }, { run: blocked }, { run: blocked }, { run: `${blocked}; ${blocked}` }],
    }),
    sourceContext: { source: 'sources/github/fw/app' },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  let state = '';
  await eventually(async () => {
    state = (await stint.call(key, 'GET', `/v1alpha/sessions/${created.body.id}`)).body.state;
    return state === 'COMPLETED' || state === 'FAILED';
  });
  const acts: any[] = (
    await stint.call(key, 'GET', `/v1alpha/sessions/${created.body.id}/activities?pageSize=100`)
  ).body.activities;
  const text = JSON.stringify(acts);
  assert.equal(state, 'COMPLETED', text);
  assert.match(text, new RegExp(`fake host says hello to 127.0.0.1:${port}`));
  const reports = acts.filter((a) => a.progressUpdated?.title?.startsWith('Network: blocked'));
  assert.equal(reports.length, 1, text);
  assert.equal(reports[0].originator, 'system');
  assert.equal(reports[0].progressUpdated.title, 'Network: blocked blocked.example');
  assert.match(
    reports[0].progressUpdated.description,
    /blocked\.example:\d+.*not on this session's network allowlist/,
  );
  assert.match(reports[0].progressUpdated.description, /--allow-host blocked\.example/);
  // The report comes before the progress of the command that was refused.
  const first = acts.findIndex((a) => a.progressUpdated?.title?.includes('blocked.example:'));
  assert.ok(acts.indexOf(reports[0]) < first, text);
});

test("setup reaches the hosts only setup may reach; the agent's commands on that source stay offline", {
  skip,
}, async () => {
  const stint = t!;
  const key = await stint.key('fw');
  const agentTry = `curl -sS --max-time 30 --noproxy '' http://127.0.0.1:${port}/agent || echo agent-offline`;
  const created = await stint.call(key, 'POST', '/v1alpha/sessions', {
    prompt: scriptPrompt('offline', {
      plan: ['look'],
      steps: [{ run: 'cat fetched.txt' }, { run: agentTry }],
    }),
    sourceContext: { source: 'sources/github/fw/offline' },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  let state = '';
  await eventually(async () => {
    state = (await stint.call(key, 'GET', `/v1alpha/sessions/${created.body.id}`)).body.state;
    return state === 'COMPLETED' || state === 'FAILED';
  });
  const acts: any[] = (
    await stint.call(key, 'GET', `/v1alpha/sessions/${created.body.id}/activities?pageSize=100`)
  ).body.activities;
  const text = JSON.stringify(acts);
  assert.equal(state, 'COMPLETED', text);
  assert.match(text, new RegExp(`fake host says hello to 127.0.0.1:${port} for /setup`), 'setup fetched');
  assert.match(text, /agent-offline/, "the agent's command found no network");
  assert.doesNotMatch(text, /for \/agent/);
});

test('the rule a session gets: whole network wins, else the union of both allowlists, else none', () => {
  const server = { sandboxNetwork: false, sandboxAllowHosts: ['registry.npmjs.org'] };
  assert.deepEqual(
    sessionNetwork(server, parseSourceConfig({ allowHosts: ['*.PyPI.org', 'registry.npmjs.org'] })),
    {
      allow: ['registry.npmjs.org', '*.pypi.org'],
    },
  );
  assert.deepEqual(sessionNetwork(server, {}), { allow: ['registry.npmjs.org'] });
  assert.equal(sessionNetwork({ sandboxNetwork: false, sandboxAllowHosts: [] }, {}), false);
  assert.equal(sessionNetwork(server, parseSourceConfig({ network: true, allowHosts: ['a.example'] })), true);
  assert.equal(sessionNetwork({ ...server, sandboxNetwork: true }, {}), true);
  assert.throws(
    () => parseSourceConfig({ allowHosts: ['*'] }),
    /config\.allowHosts: '\*' is not a host pattern/,
  );
  assert.throws(() => parseSourceConfig({ allowHosts: 'a.example' }), /config\.allowHosts must be a list/);
});

test('server-wide settings: STINT_SANDBOX_ALLOW_HOSTS and STINT_SANDBOX_ALLOW_PRIVATE are validated at start', () => {
  const config = buildSecurityConfig(
    {},
    {
      STINT_SANDBOX_ALLOW_HOSTS: ' registry.npmjs.org, *.pypi.org ',
      STINT_SANDBOX_ALLOW_PRIVATE: '10.0.0.0/8',
    },
  );
  assert.deepEqual(config.sandboxAllowHosts, ['registry.npmjs.org', '*.pypi.org']);
  assert.deepEqual(
    config.sandboxAllowPrivate.map((c) => c.text),
    ['10.0.0.0/8'],
  );
  assert.deepEqual(buildSecurityConfig({}, {}).sandboxAllowHosts, []);
  assert.throws(
    () => buildSecurityConfig({}, { STINT_SANDBOX_ALLOW_HOSTS: 'ok.example,*' }),
    /STINT_SANDBOX_ALLOW_HOSTS: '\*' is not a host pattern/,
  );
  assert.throws(
    () => buildSecurityConfig({}, { STINT_SANDBOX_ALLOW_PRIVATE: '10.0.0.0/33' }),
    /STINT_SANDBOX_ALLOW_PRIVATE: '10\.0\.0\.0\/33' is not a CIDR range/,
  );
});
