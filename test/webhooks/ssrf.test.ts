/**
 * Webhook targets (SSRF): a tenant must not make the server reach loopback, private, link-local,
 * multicast or unspecified addresses. The filter is tested as a pure function over many addresses;
 * everything that sends, sends only to receivers on 127.0.0.1 (and a name resolved, by an injected
 * resolver, to 127.0.0.1 or ::1): the server is never made to connect anywhere else, not even to see
 * it refused.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildExtensionsConfig } from '../../src/api/extensions-config.ts';
import type { SqlStore } from '../../src/store/sql/sql-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { addressRefusal, classifyAddress, parseAllowlist } from '../../src/webhooks/address-filter.ts';
import { sendWebhook } from '../../src/webhooks/sender.ts';
import type { Resolver, TargetPolicy } from '../../src/webhooks/target-guard.ts';
import { WebhookService } from '../../src/webhooks/webhook-service.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, waitUntil } from '../support/server.ts';

const REFUSED: Record<string, string[]> = {
  loopback: [
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.254',
    '::1',
    '0:0:0:0:0:0:0:1',
    '[::1]',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0000:0000:0000:0000:0000:ffff:7f00:0001',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
  ],
  private: [
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '192.168.255.255',
    '100.64.0.1',
    '100.127.255.255',
    'fc00::1',
    'fd12:3456::1',
    'fec0::1',
    '::ffff:10.0.0.1',
    '::ffff:192.168.1.1',
    '64:ff9b:1::1',
  ],
  'link-local': [
    '169.254.169.254',
    '169.254.0.1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::',
  ],
  multicast: ['224.0.0.1', '239.255.255.250', 'ff02::1', 'ff05::1:3', '::ffff:224.0.0.251'],
  unspecified: ['0.0.0.0', '0.1.2.3', '::', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0'],
  reserved: [
    '255.255.255.255',
    '240.0.0.1',
    '192.0.0.8',
    '192.0.2.1',
    '198.18.0.1',
    '198.51.100.7',
    '203.0.113.9',
    '2001:db8::1',
    '2001::1',
    '100::1',
    '::127.0.0.1',
  ],
};
const PUBLIC = [
  '1.1.1.1',
  '8.8.8.8',
  '93.184.216.34',
  '172.15.255.255',
  '172.32.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '169.253.255.255',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001::1',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('the address filter (a pure function)', () => {
  test('classifies loopback, private, link-local, multicast, unspecified and reserved; v4, v6 and v4 in v6', () => {
    for (const [kind, addresses] of Object.entries(REFUSED)) {
      for (const a of addresses) {
        assert.equal(classifyAddress(a), kind, a);
        assert.match(addressRefusal(a) ?? '', new RegExp(kind), a);
      }
    }
    for (const a of PUBLIC) {
      assert.equal(classifyAddress(a), 'public', a);
      assert.equal(addressRefusal(a), undefined, a);
    }
    for (const a of ['', 'localhost', '1.2.3', '256.0.0.1', '::g', '1.2.3.4.5', 'example.com']) {
      assert.equal(classifyAddress(a), 'invalid', a);
      assert.notEqual(addressRefusal(a), undefined, a);
    }
  });

  test('the allowlist lets exactly its ranges through, v4-mapped included', () => {
    const allow = parseAllowlist(' 127.0.0.1/32, 10.1.0.0/16 ,fd00::/8,::1');
    for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '10.1.2.3', '::ffff:10.1.255.255', 'fd00::5', '::1']) {
      assert.equal(addressRefusal(a, allow), undefined, a);
    }
    for (const a of ['127.0.0.2', '10.2.0.1', '169.254.169.254', 'fc00::1', '192.168.0.1', '0.0.0.0']) {
      assert.notEqual(addressRefusal(a, allow), undefined, a);
    }
    assert.deepEqual(parseAllowlist(''), []);
    assert.deepEqual(parseAllowlist(undefined), []);
    for (const bad of [
      '10.0.0.0/33',
      'intranet',
      '10.0.0.0/8/1',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10/8',
    ]) {
      assert.throws(() => parseAllowlist(bad), /not a CIDR range/, bad);
    }
    const error = (m: string) => new Error(m);
    assert.throws(
      () => buildExtensionsConfig({ STINT_WEBHOOK_ALLOW_PRIVATE: 'intranet' }, error),
      /STINT_WEBHOOK_ALLOW_PRIVATE/,
    );
    assert.equal(
      buildExtensionsConfig({ STINT_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32' }, error).webhookAllowPrivate
        .length,
      1,
    );
  });
});

/** A receiver on 127.0.0.1 that counts TCP connections, not just requests. */
async function receiver(answer: (path: string) => { status: number; headers?: Record<string, string> }) {
  const paths: string[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      const a = answer(req.url ?? '');
      res.writeHead(a.status, a.headers).end('internal-answer-body-that-must-not-be-stored');
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    paths,
    get connections() {
      return connections;
    },
  };
}

const send = (url: string, targets?: TargetPolicy) =>
  sendWebhook({
    url,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    messageId: 'msg_1',
    payload: '{}',
    timeoutMs: 10_000,
    ...(targets ? { targets } : {}),
  });

describe('sending', () => {
  let r: Awaited<ReturnType<typeof receiver>>;
  let other: Awaited<ReturnType<typeof receiver>>;
  const servers: Server[] = [];
  before(async () => {
    other = await receiver(() => ({ status: 204 }));
    r = await receiver((path) =>
      path === '/redirect'
        ? { status: 302, headers: { location: `http://127.0.0.1:${other.port}/landed` } }
        : { status: 204 },
    );
    servers.push(r.server, other.server);
  });
  after(async () => {
    for (const s of servers) await new Promise((res) => s.close(res));
  });

  test('a loopback receiver is refused by default, without a connection; delivered to when allowed', async () => {
    const refused = await send(`http://127.0.0.1:${r.port}/hook`);
    assert.equal(refused.ok, false);
    assert.equal(refused.refused, true);
    assert.match(refused.error ?? '', /refused: 127\.0\.0\.1 is a loopback address/);
    const mapped = await send(`http://[::ffff:127.0.0.1]:${r.port}/hook`);
    assert.equal(mapped.refused, true, 'v4-mapped IPv6 spelling');
    const decimal = await send(`http://2130706433:${r.port}/hook`);
    assert.equal(decimal.refused, true, 'decimal spelling');
    assert.equal(r.connections, 0, 'refused before any connection');

    const allowed = await send(`http://127.0.0.1:${r.port}/hook`, {
      allowPrivate: parseAllowlist('127.0.0.1/32'),
    });
    assert.equal(allowed.ok, true, allowed.error);
    assert.equal(allowed.statusCode, 204);
    assert.equal(r.paths.at(-1), '/hook');
    assert.equal(
      JSON.stringify(allowed).includes('internal-answer-body'),
      false,
      'the body is not even read',
    );
  });

  test('a name is checked after resolution and the connection goes to the checked address (no rebinding)', async () => {
    const calls: string[] = [];
    let answers = 0;
    // First answer 127.0.0.1 (allowed), every later one ::1 (not allowed): a sender that resolved the
    // name again to connect would end up at ::1.
    const rebinding: Resolver = async (host) => {
      calls.push(host);
      answers += 1;
      return answers === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '::1', family: 6 }];
    };
    const before = r.connections;
    const strict = await send(`http://hook.invalid:${r.port}/by-name`, {
      allowPrivate: [],
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    assert.equal(strict.refused, true);
    assert.match(strict.error ?? '', /hook\.invalid resolves to 127\.0\.0\.1 is a loopback address/);
    assert.equal(r.connections, before, 'refused without a connection');

    const ok = await send(`http://hook.invalid:${r.port}/by-name`, {
      allowPrivate: parseAllowlist('127.0.0.1/32'),
      resolver: rebinding,
    });
    assert.equal(ok.ok, true, ok.error);
    assert.equal(ok.address, '127.0.0.1');
    assert.deepEqual(calls, ['hook.invalid'], 'resolved exactly once');
    assert.equal(r.paths.at(-1), '/by-name');

    // The second attempt gets the rebinding answer: refused, nothing sent.
    const count = r.connections;
    const second = await send(`http://hook.invalid:${r.port}/by-name`, {
      allowPrivate: parseAllowlist('127.0.0.1/32'),
      resolver: rebinding,
    });
    assert.equal(second.refused, true);
    assert.match(second.error ?? '', /::1 is a loopback address/);
    assert.equal(r.connections, count);

    // One refused address among several refuses the name.
    const mixed = await send(`http://hook.invalid:${r.port}/mixed`, {
      allowPrivate: parseAllowlist('127.0.0.1/32'),
      resolver: async () => [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
    assert.equal(mixed.refused, true);
    assert.equal(r.connections, count);
  });

  test('redirects are not followed, not even to an allowed address', async () => {
    const allowed = { allowPrivate: parseAllowlist('127.0.0.1/32') };
    const res = await send(`http://127.0.0.1:${r.port}/redirect`, allowed);
    assert.equal(res.ok, false);
    assert.equal(res.statusCode, 302);
    assert.equal(res.error, 'redirects are not followed');
    assert.equal(res.refused, undefined, 'a failure, retried, not a refusal');
    assert.equal(other.connections, 0);
  });
});

describe('registration', () => {
  let store: SqlStore;
  before(async () => {
    store = await openSqliteStore({ dataDir: ':memory:' });
  });
  after(() => store.close());

  test('refuses loopback, private and link-local URLs and names resolving to them; the allowlist lets its ranges in', async () => {
    const strict = new WebhookService(store, undefined, {
      allowPrivate: [],
      resolver: async (host) => {
        if (host === 'metadata.invalid') return [{ address: '169.254.169.254', family: 4 }];
        if (host === 'public.invalid') return [{ address: '93.184.216.34', family: 4 }];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });
    for (const url of [
      'http://127.0.0.1/hook',
      'http://127.0.0.1:8080/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0x7f.1/hook',
      'http://2130706433/hook',
      'http://10.0.0.5/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://0.0.0.0/hook',
      'http://224.0.0.1/hook',
      'https://metadata.invalid/computeMetadata/v1/',
    ]) {
      await assert.rejects(strict.create('t1', { url }), /url is not allowed/, url);
    }
    // Public targets pass (nothing is sent at registration), and a name that does not resolve yet
    // is left to the check at each delivery.
    await strict.create('t1', { url: 'https://public.invalid/hook' });
    await strict.create('t1', { url: 'https://not-yet.invalid/hook' });
    await strict.create('t1', { url: 'http://93.184.216.34/hook' });
    const e = await strict.create('t1', { url: 'https://public.invalid/hook' });
    await assert.rejects(strict.update('t1', e.id, { url: 'http://127.0.0.1/x' }), /url is not allowed/);

    const onPrem = new WebhookService(store, undefined, {
      allowPrivate: parseAllowlist('127.0.0.1/32,10.0.0.0/8'),
    });
    await onPrem.create('t1', { url: 'http://127.0.0.1:9/hook' });
    await onPrem.create('t1', { url: 'http://10.1.2.3/hook' });
    await assert.rejects(onPrem.create('t1', { url: 'http://169.254.169.254/' }), /url is not allowed/);
  });
});

describe('end to end (a server in process, receivers on 127.0.0.1)', () => {
  let strict: InProcessServer | undefined;
  let r: Awaited<ReturnType<typeof receiver>>;
  before(async () => {
    r = await receiver(() => ({ status: 204 }));
  });
  after(async () => {
    await strict?.close();
    await new Promise((res) => r.server.close(res));
  });

  test('by default a loopback receiver is refused at registration and, registered anyway, at delivery', async () => {
    strict = await startInProcess({ flags: { worker: false } });
    const url = `http://127.0.0.1:${r.port}/hook`;
    const refused = await api(strict, 'POST', '/webhooks', { url });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.status, 'INVALID_ARGUMENT');
    assert.match(refused.body.error.message, /loopback/);
    // An endpoint that got into the store anyway (registered under an older allowlist): checked again
    // when it is sent, refused, and FAILED at once with the reason (no retries against it).
    const now = Date.now() * 1000;
    await strict.stint.store.webhooks.createEndpoint({
      id: 'wh_legacy',
      tenantId: 'default',
      url,
      description: '',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      eventTypes: [],
      disabled: false,
      createTime: now,
      updateTime: now,
    });
    const queued = await api(strict, 'POST', '/webhooks/wh_legacy:test', {});
    assert.equal(queued.status, 200, JSON.stringify(queued.body));
    const d = await waitUntil(async () => {
      const got = await api(strict!, 'GET', `/webhooks/wh_legacy/deliveries/${queued.body.id}`);
      return got.body.status === 'FAILED' ? got.body : undefined;
    }, 30_000);
    assert.equal(d.attemptLog.length, 1);
    assert.match(d.attemptLog[0].error, /refused: 127\.0\.0\.1 is a loopback address/);
    assert.equal(r.connections, 0);
  });
});
