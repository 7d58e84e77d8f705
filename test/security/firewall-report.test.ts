/**
 * The firewall report: what the sandbox says it blocked becomes one activity per host per session,
 * across commands and across the session's runs in this process, bounded for a command that tries
 * thousands of hosts; the session's rule, not the request's, decides the network.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Activity } from '../../src/domain/activity.ts';
import type { BlockedConnection, RunRequest, RunResult, Sandbox } from '../../src/sandbox/sandbox.ts';
import {
  blockedActivity,
  MAX_REPORTED_HOSTS,
  rememberReported,
  remembersSession,
} from '../../src/security/firewall-report.ts';
import { SessionGuard } from '../../src/security/session-guard.ts';

/** A sandbox that records the requests and answers with what `blocked` says for each. */
function fakeSandbox(blocked: (cmd: string) => BlockedConnection[]): Sandbox & { seen: RunRequest[] } {
  const seen: RunRequest[] = [];
  return {
    kind: 'fake',
    seen,
    async run(req): Promise<RunResult> {
      seen.push(req);
      const b = blocked(req.command);
      return {
        exitCode: 0,
        output: '',
        timedOut: false,
        aborted: false,
        durationMs: 1,
        ...(b.length ? { blocked: b } : {}),
      };
    },
  };
}

const b = (host: string): BlockedConnection => ({
  host,
  port: 443,
  cause: 'not-allowed',
  reason: "it is not on this session's network allowlist",
});

const guardFor = (sessionId: string) =>
  new SessionGuard({
    workdir: '/nonexistent',
    env: {},
    secrets: ['s3cr3t-token'],
    network: { allow: ['registry.npmjs.org'] },
    maxWorkspaceBytes: 0,
    sessionId,
  });

const req = (command: string): RunRequest => ({
  command,
  cwd: '/nonexistent',
  timeoutMs: 1000,
  maxOutputBytes: 100,
});

test('each blocked host is reported once per session, across commands and runs', async () => {
  const id = randomUUID();
  const inner = fakeSandbox((cmd) => cmd.split(' ').map(b));
  const guard = guardFor(id);
  const sb = guard.sandbox(inner);
  await sb.run({ ...req('evil.test pypi.org'), network: true });
  // The agent cannot grant itself the network: the session's rule is what the sandbox gets.
  assert.deepEqual(inner.seen[0]!.network, { allow: ['registry.npmjs.org'] });
  await sb.run(req('evil.test other.test'));
  const reports = guard.takeNetworkReports();
  assert.deepEqual(
    reports.map((a) => (a.content.kind === 'progressUpdated' ? a.content.title : '')),
    ['Network: blocked evil.test', 'Network: blocked pypi.org', 'Network: blocked other.test'],
  );
  assert.ok(reports.every((a) => a.originator === 'system'));
  assert.deepEqual(guard.takeNetworkReports(), []);
  // The session's next run (a new guard, same process) does not repeat them; another session does.
  const again = guardFor(id);
  await again.sandbox(inner).run(req('evil.test new.test'));
  assert.equal(again.takeNetworkReports().length, 1);
  const other = guardFor(randomUUID());
  await other.sandbox(inner).run(req('evil.test'));
  assert.equal(other.takeNetworkReports().length, 1);
});

test('a trusted caller (setup) may give its commands another network rule', async () => {
  const inner = fakeSandbox(() => []);
  const guard = guardFor(randomUUID());
  await guard.sandbox(inner, { allow: ['*.pypi.org'] }).run({ ...req('x'), network: false });
  assert.deepEqual(inner.seen[0]!.network, { allow: ['*.pypi.org'] });
});

test('a command trying thousands of hosts yields a bounded report; secrets in host names are redacted', async () => {
  const inner = fakeSandbox((cmd) =>
    cmd === 'many' ? Array.from({ length: 500 }, (_, i) => b(`h${i}.test`)) : [b('s3cr3t-token.evil.test')],
  );
  const guard = guardFor(randomUUID());
  await guard.sandbox(inner).run(req('many'));
  await guard.sandbox(inner).run(req('many'));
  const reports = guard.takeNetworkReports();
  assert.equal(reports.length, MAX_REPORTED_HOSTS + 1);
  const last = reports.at(-1)!;
  assert.equal(last.content.kind === 'progressUpdated' && last.content.title, 'Network: more hosts blocked');
  const guard2 = guardFor(randomUUID());
  await guard2.sandbox(inner).run(req('secret'));
  assert.doesNotMatch(JSON.stringify(guard2.takeNetworkReports()), /s3cr3t-token/);
});

test('a session this process does not remember is seeded from its stored report (restart, other worker)', async () => {
  const id = randomUUID();
  assert.equal(remembersSession(id), false);
  const stored = (n: number, a: ReturnType<typeof blockedActivity>): Activity => ({
    sessionId: id,
    seq: n,
    id: `a${n}`,
    createTime: n,
    originator: a.originator,
    content: a.content,
    artifacts: [],
  });
  const agentSaysSo: Activity = {
    ...stored(2, blockedActivity(b('spoofed.test'))),
    originator: 'agent',
  };
  rememberReported(id, [stored(1, blockedActivity(b('evil.test'))), agentSaysSo]);
  assert.equal(remembersSession(id), true);
  const inner = fakeSandbox((cmd) => cmd.split(' ').map(b));
  const guard = guardFor(id);
  await guard.sandbox(inner).run(req('evil.test spoofed.test'));
  // Only a system activity counts as a report: the agent cannot silence the firewall report.
  assert.deepEqual(
    guard.takeNetworkReports().map((a) => (a.content.kind === 'progressUpdated' ? a.content.title : '')),
    ['Network: blocked spoofed.test'],
  );
});
