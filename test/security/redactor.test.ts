/** Redaction: secret values never survive, in any of the forms they are commonly printed in. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { LogScrubber, Redactor } from '../../src/security/redactor.ts';
import { SessionGuard } from '../../src/security/session-guard.ts';

test('values are replaced whole, longest first, in plain, JSON, URL and base64 forms', () => {
  const r = new Redactor(['s3cret-token', 's3cret-token-long', 'p@ss"w\\rd!']);
  assert.equal(r.text('a s3cret-token b s3cret-token-long c'), 'a *** b *** c');
  assert.equal(r.text(JSON.stringify({ v: 'p@ss"w\\rd!' })), '{"v":"***"}');
  assert.equal(r.text(`https://x/?t=${encodeURIComponent('p@ss"w\\rd!')}`), 'https://x/?t=***');
  assert.equal(r.text(Buffer.from('s3cret-token').toString('base64')), '***');
  assert.equal(r.text('nothing here'), 'nothing here');
  assert.equal(new Redactor([]).text('s3cret-token'), 's3cret-token');
});

test('multi-line secrets are also redacted line by line', () => {
  const pem =
    '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----';
  const r = new Redactor([pem]);
  assert.equal(r.text(`key:\n${pem}\n`), 'key:\n***\n');
  assert.equal(r.text('line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC only'), 'line *** only');
});

test('output cut by the size limit in the middle of a secret does not keep its start', () => {
  const r = new Redactor(['abcdefghijklmnop']);
  assert.equal(
    r.text('x abcdefgh\n[output truncated: 100 bytes omitted]'),
    'x ***\n[output truncated: 100 bytes omitted]',
  );
  assert.equal(
    r.text('x abc\n[output truncated: 1 bytes omitted]'),
    'x abc\n[output truncated: 1 bytes omitted]',
  );
});

test('deep() redacts every string of activities and outputs without changing their shape', () => {
  const r = new Redactor(['tok_123456']);
  const value = { a: ['x tok_123456', 1, null, { b: 'tok_123456' }], c: true };
  assert.deepEqual(r.deep(value), { a: ['x ***', 1, null, { b: '***' }], c: true });
  assert.deepEqual(value.a[0], 'x tok_123456', 'the input is not mutated');
});

test('property: no secret survives redaction of any text built around it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 6, maxLength: 40 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.string({ maxLength: 30 }), { maxLength: 6 }),
      (secrets, noise) => {
        const r = new Redactor(secrets);
        const text = noise.flatMap((n, i) => [n, secrets[i % secrets.length]!]).join('') + secrets[0];
        const out = r.text(text);
        for (const s of secrets)
          assert.ok(!out.includes(s), `${JSON.stringify(s)} in ${JSON.stringify(out)}`);
      },
    ),
    { numRuns: 500 },
  );
});

test('the log scrubber redacts values added at any time, in JSON log lines', () => {
  const s = new LogScrubber();
  const line = `${JSON.stringify({ msg: 'failed: token=abc"def123' })}\n`;
  assert.equal(s.scrub(line), line);
  s.add(['abc"def123']);
  assert.equal(s.scrub(line), '{"msg":"failed: token=***"}\n');
});

test("the server's logger scrubs secrets through pino's streamWrite hook", () => {
  const s = new LogScrubber();
  s.add(['log-secret-4242']);
  const lines: string[] = [];
  const log = pino({ hooks: { streamWrite: s.scrub } }, { write: (line: string) => lines.push(line) });
  log.error(
    { err: new Error('git failed for https://x:log-secret-4242@host/r') },
    'token log-secret-4242 used',
  );
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes('log-secret-4242'), lines[0]);
  assert.match(lines[0]!, /token \*\*\* used/);
});

test('a session guard redacts everything the store keeps: transcript, snapshot, title, activities, outputs', () => {
  const secret = 'guard-secret-4711';
  const guard = new SessionGuard({
    workdir: '/nowhere',
    env: {},
    secrets: [secret],
    network: false,
    maxWorkspaceBytes: 0,
  });
  const change = guard.redactChange({
    title: `about ${secret}`,
    transcript: { kind: 'delta', body: [{ role: 'tool', content: `token=${secret}` }] },
    workspace: { baseCommitId: 'a'.repeat(40), treeId: 'b'.repeat(40), patch: `+token=${secret}\n` },
    activities: [{ originator: 'agent', content: { kind: 'agentMessaged', agentMessage: secret } }],
    outputs: [],
  });
  assert.ok(!JSON.stringify(change).includes(secret), JSON.stringify(change));
  assert.equal(change.workspace?.patch, '+token=***\n');
  assert.equal(change.workspace?.treeId, 'b'.repeat(40));
  assert.equal(guard.holdsSecret(`x ${secret} y`), true);
  assert.equal(guard.holdsSecret(Buffer.from(secret).toString('base64')), true);
  assert.equal(guard.holdsSecret('nothing here'), false);
});
