/**
 * The allowlist from inside the bubblewrap sandbox: curl, using the proxy variables the sandbox sets,
 * reaches an allowed fake host (HTTP, and HTTPS through CONNECT) on the host's 127.0.0.1; a host off
 * the list is refused and reported; and a direct connection to the same fake host, bypassing the
 * proxy, fails: the command's network namespace has nothing but its own loopback. The plain sandbox
 * only sets the proxy variables (it cannot enforce anything) and says so.
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { mkdtemp, realpath } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type RunRequest, type Sandbox } from '../../../src/sandbox/index.ts';
import type { Resolver } from '../../../src/sandbox/network/address-policy.ts';
import { parseAllowlist } from '../../../src/webhooks/address-filter.ts';
import { removeTree } from '../../../src/workspace/remove-tree.ts';
import { bubblewrapGate } from '../../support/sandbox-probe.ts';
import { nodeDir, tcpClientCommand } from '../../support/tcp-client.ts';
import { makeTestCert, type TestCert } from '../../support/tls-cert.ts';

const gate = await bubblewrapGate();
const { probe, skip } = gate;

// Every name resolves to the loopback, where the fake hosts are; the loopback is opted in.
const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
const network = { allowPrivate: parseAllowlist('127.0.0.0/8'), resolver: toLoopback };

describe('network allowlist in the sandbox', { skip }, () => {
  let cert: TestCert;
  let plainHost: http.Server;
  let secureHost: https.Server;
  let httpPort: number;
  let httpsPort: number;
  let checkout: string;
  let sandbox: Sandbox;

  const run = (command: string, extra: Partial<RunRequest> = {}) =>
    sandbox.run({
      command,
      cwd: checkout,
      timeoutMs: 60_000,
      maxOutputBytes: 100_000,
      network: { allow: ['allowed.test', '*.pkg.test'] },
      ...extra,
    });

  before(async () => {
    gate.require();
    if (!probe.ok) return;
    cert = makeTestCert(['allowed.test', 'api.pkg.test']);
    plainHost = http.createServer((req, res) => res.end(`plain hello ${req.headers.host}\n`));
    secureHost = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) =>
      res.end(`secure hello ${req.headers.host}\n`),
    );
    await new Promise<void>((r) => plainHost.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => secureHost.listen(0, '127.0.0.1', r));
    httpPort = (plainHost.address() as AddressInfo).port;
    httpsPort = (secureHost.address() as AddressInfo).port;
    checkout = await realpath(await mkdtemp(join(tmpdir(), 'stint-net-sandbox-')));
    copyFileSync(cert.certFile, join(checkout, 'ca.pem'));
    sandbox = createSandbox('bubblewrap', {
      bwrapPath: probe.path,
      features: probe.features,
      extraReadOnlyPaths: [nodeDir],
      network,
    });
  });

  after(async () => {
    plainHost?.closeAllConnections();
    secureHost?.closeAllConnections();
    await new Promise((r) => (plainHost ? plainHost.close(r) : r(undefined)));
    await new Promise((r) => (secureHost ? secureHost.close(r) : r(undefined)));
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
    if (checkout) await removeTree(checkout);
  });

  test('an allowed host is reached through the proxy, over HTTP and HTTPS (CONNECT)', async () => {
    const r = await run(
      [
        `curl -sS --max-time 30 http://allowed.test:${httpPort}/`,
        `curl -sS --max-time 30 --cacert ca.pem https://api.pkg.test:${httpsPort}/`,
        'echo "proxy=$HTTPS_PROXY"',
      ].join(' && '),
    );
    assert.equal(r.exitCode, 0, r.output);
    assert.match(r.output, new RegExp(`plain hello allowed.test:${httpPort}`));
    assert.match(r.output, new RegExp(`secure hello api.pkg.test:${httpsPort}`));
    assert.match(r.output, /proxy=http:\/\/127\.0\.0\.1:3128/);
    assert.equal(r.blocked, undefined);
  });

  test('a host off the list is refused and reported once, whatever the number of tries', async () => {
    const r = await run(
      [
        `curl -sS --max-time 30 http://evil.test:${httpPort}/`,
        `curl -sS --max-time 30 http://EVIL.test:${httpPort}/again`,
        `curl -sS --max-time 30 --cacert ca.pem https://evil.test:${httpsPort}/`,
        'echo done',
      ].join('; '),
    );
    assert.match(r.output, /network access to evil\.test is blocked/);
    assert.match(r.output, /CONNECT tunnel failed, response 403|403/);
    assert.doesNotMatch(r.output, /hello/);
    assert.deepEqual(
      r.blocked?.map((b) => [b.host, b.cause]),
      [['evil.test', 'not-allowed']],
    );
  });

  test('there is no other route out: a direct connection to the same host fails', async () => {
    const r = await run(
      [
        // The fake host's port on the host's loopback, bypassing the proxy variables.
        `curl -sS --max-time 10 --noproxy '*' http://127.0.0.1:${httpPort}/ || echo curl-direct-failed`,
        `env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy ${tcpClientCommand(httpPort)} || true`,
        // The namespace has the loopback and nothing else.
        "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ',' ; echo",
      ].join('; '),
    );
    assert.match(r.output, /curl-direct-failed/);
    assert.match(r.output, /no-connection ECONNREFUSED/);
    assert.doesNotMatch(r.output, /plain hello/);
    assert.match(r.output, /^lo,$/m);
  });

  test('without an allowlist there is no network at all, not even the proxy', async () => {
    const r = await run(
      `curl -sS --max-time 10 http://allowed.test:${httpPort}/ || echo no-route; echo "proxy=$HTTP_PROXY"`,
      {
        network: false,
      },
    );
    assert.match(r.output, /no-route/);
    assert.match(r.output, /^proxy=$/m);
  });

  test('the command keeps its exit code and NODE_OPTIONS through the forwarder', async () => {
    const r = await run(`echo "opts=$NODE_OPTIONS"; exit 7`, { env: { NODE_OPTIONS: '--no-such-flag' } });
    assert.equal(r.exitCode, 7, r.output);
    assert.match(r.output, /opts=--no-such-flag/);
  });

  test('the plain sandbox only points the proxy variables at the proxy (not enforced)', async () => {
    const plain = createSandbox('plain', { network });
    const r = await plain.run({
      command: `echo "proxy=$HTTP_PROXY"; curl -sS --max-time 30 http://evil.test:${httpPort}/; curl -sS --max-time 30 http://allowed.test:${httpPort}/`,
      cwd: checkout,
      timeoutMs: 60_000,
      maxOutputBytes: 100_000,
      network: { allow: ['allowed.test'] },
    });
    assert.match(r.output, /proxy=http:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.output, /network access to evil\.test is blocked/);
    assert.match(r.output, new RegExp(`plain hello allowed.test:${httpPort}`));
    assert.deepEqual(
      r.blocked?.map((b) => b.host),
      ['evil.test'],
    );
  });
});
