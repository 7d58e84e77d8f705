/**
 * The allowlist proxy on its own: fake hosts (HTTP and HTTPS) on 127.0.0.1, names resolved by an
 * injected resolver to 127.0.0.1, the loopback opted in where a test needs to reach them. Nothing
 * connects anywhere but the loopback.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { Resolver } from '../../../src/sandbox/network/address-policy.ts';
import { AllowlistProxy } from '../../../src/sandbox/network/allowlist-proxy.ts';
import { parseHostPatterns } from '../../../src/sandbox/network/host-patterns.ts';
import { parseAllowlist } from '../../../src/webhooks/address-filter.ts';
import { makeTestCert, type TestCert } from '../../support/tls-cert.ts';

const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
const LOOPBACK = parseAllowlist('127.0.0.0/8');

/** A plain HTTP request through the proxy (absolute URL), as curl with HTTP_PROXY sends it. */
function viaProxy(proxy: string, url: string): Promise<{ status: number; body: string }> {
  const p = new URL(proxy);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: p.hostname, port: Number(p.port), path: url, headers: { host: new URL(url).host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** CONNECT host:port through the proxy, then HTTPS over the tunnel trusting `ca`. */
function viaTunnel(
  proxy: string,
  host: string,
  port: number,
  ca: string,
): Promise<{ status: number; body: string }> {
  const p = new URL(proxy);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: p.hostname,
      port: Number(p.port),
      method: 'CONNECT',
      path: `${host}:${port}`,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        let body = '';
        socket.setEncoding('utf8');
        socket.on('data', (d) => (body += d));
        socket.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        socket.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
        return;
      }
      const tls = tlsConnect({ socket, servername: host, ca });
      const get = https.request({ host, port, path: '/', createConnection: () => tls, ca }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      get.on('error', reject);
      get.end();
    });
    req.on('error', reject);
    req.end();
  });
}

describe('allowlist proxy', () => {
  let cert: TestCert;
  let plain: http.Server;
  let secure: https.Server;
  let httpPort: number;
  let httpsPort: number;
  const proxies: AllowlistProxy[] = [];

  const start = async (allow: string[], allowPrivate = LOOPBACK) => {
    const proxy = await AllowlistProxy.start({
      allow: parseHostPatterns(allow),
      allowPrivate,
      resolver: toLoopback,
    });
    proxies.push(proxy);
    return proxy;
  };

  before(async () => {
    cert = makeTestCert(['allowed.test', 'api.pkg.test']);
    plain = http.createServer((req, res) => res.end(`plain hello ${req.headers.host}`));
    secure = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) =>
      res.end(`secure hello ${req.headers.host}`),
    );
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    httpPort = (plain.address() as AddressInfo).port;
    httpsPort = (secure.address() as AddressInfo).port;
  });

  after(async () => {
    for (const p of proxies) await p.close();
    plain?.closeAllConnections();
    secure?.closeAllConnections();
    await new Promise((r) => plain?.close(r));
    await new Promise((r) => secure?.close(r));
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
  });

  // The names exist only in the injected resolver: that the connections succeed also shows they go to
  // the address the proxy checked, never resolved again by the system.
  test('an allowed host is reached over plain HTTP and through a CONNECT tunnel (HTTPS)', async () => {
    const proxy = await start(['allowed.test', '*.pkg.test']);
    assert.match(proxy.address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const got = await viaProxy(proxy.address, `http://Allowed.Test:${httpPort}/x`);
    assert.equal(got.status, 200);
    assert.equal(got.body, `plain hello allowed.test:${httpPort}`);
    const tunnel = await viaTunnel(proxy.address, 'api.pkg.test', httpsPort, cert.cert);
    assert.equal(tunnel.status, 200);
    assert.equal(tunnel.body, `secure hello api.pkg.test:${httpsPort}`);
    assert.deepEqual(proxy.blocked(), []);
  });

  test('a host off the allowlist is refused with a 403 naming it, and recorded once', async () => {
    const proxy = await start(['allowed.test']);
    const first = await viaProxy(proxy.address, `http://evil.test:${httpPort}/`);
    assert.equal(first.status, 403);
    assert.match(
      first.body,
      /network access to evil\.test is blocked: it is not on this session's network allowlist/,
    );
    const again = await viaTunnel(proxy.address, 'EVIL.test', httpsPort, cert.cert);
    assert.equal(again.status, 403);
    const other = await viaTunnel(proxy.address, 'pypi.test', 443, cert.cert);
    assert.equal(other.status, 403);
    assert.deepEqual(proxy.blocked(), [
      {
        host: 'evil.test',
        port: httpPort,
        cause: 'not-allowed',
        reason: "it is not on this session's network allowlist",
      },
      {
        host: 'pypi.test',
        port: 443,
        cause: 'not-allowed',
        reason: "it is not on this session's network allowlist",
      },
    ]);
  });

  test('an allowlisted name that resolves to the loopback is refused without the private-address opt-in', async () => {
    const proxy = await start(['allowed.test'], []);
    const got = await viaProxy(proxy.address, `http://allowed.test:${httpPort}/`);
    assert.equal(got.status, 403);
    assert.match(got.body, /allowed\.test resolves to 127\.0\.0\.1, a loopback address/);
    const tunnel = await viaTunnel(proxy.address, 'allowed.test', httpsPort, cert.cert);
    assert.equal(tunnel.status, 403);
    assert.equal(proxy.blocked().length, 1);
    assert.equal(proxy.blocked()[0]!.cause, 'address');
  });

  test('IP literals pass only when listed themselves, and still go through the address filter', async () => {
    const named = await start(['allowed.test']);
    assert.equal((await viaProxy(named.address, `http://127.0.0.1:${httpPort}/`)).status, 403);
    assert.equal((await viaTunnel(named.address, '[::1]', httpsPort, cert.cert)).status, 403);
    const literal = await start(['127.0.0.1']);
    assert.equal((await viaProxy(literal.address, `http://127.0.0.1:${httpPort}/`)).status, 200);
    const strict = await start(['127.0.0.1'], []);
    const refused = await viaProxy(strict.address, `http://127.0.0.1:${httpPort}/`);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /127\.0\.0\.1 is a loopback address/);
  });

  test('a proxy on a Unix socket serves the same, and removes its socket when closed', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'stint-proxy-test-'));
    try {
      const socketPath = join(dir, 'p.sock');
      const proxy = await AllowlistProxy.start({
        allow: parseHostPatterns(['allowed.test']),
        allowPrivate: LOOPBACK,
        resolver: toLoopback,
        socketPath,
      });
      assert.equal(proxy.address, socketPath);
      const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            socketPath,
            path: `http://allowed.test:${httpPort}/`,
            headers: { host: `allowed.test:${httpPort}` },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(got.status, 200);
      assert.equal(got.body, `plain hello allowed.test:${httpPort}`);
      await proxy.close();
      assert.equal(existsSync(socketPath), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
