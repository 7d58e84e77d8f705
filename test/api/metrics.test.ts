/** GET /metrics: Prometheus text that parses, with the promised families; admin-only unless configured. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerApiKey } from '../../src/api/auth.ts';
import { StintMetrics } from '../../src/api/metrics.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { sessionFixture } from '../contracts/store.contract.ts';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, waitUntil } from '../support/server.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format strictly enough to catch malformed output. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  assert.ok(text.endsWith('\n'));
  for (const line of text.trimEnd().split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]!), line);
        types.set(meta[2]!, meta[3]!);
      } else helps.add(meta[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"(,|$)/g)) labels[l[1]!] = l[2]!;
    const value = m[4] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[4]);
    assert.ok(!Number.isNaN(value), line);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.get(family) === 'histogram', `TYPE before ${m[1]}`);
    assert.ok(helps.has(m[1]!) || helps.has(family), `HELP for ${m[1]}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

const find = (s: Sample[], name: string, labels: Record<string, string> = {}) =>
  s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));

describe('metrics', () => {
  let server: InProcessServer;
  before(async () => {
    server = await startInProcess({
      env: {
        STINT_WEBHOOK_RETRY_BASE_MS: '50',
        STINT_WEBHOOK_RETRY_MAX_MS: '100',
        // The unreachable receiver below is on loopback, which webhooks may reach only when allowed.
        STINT_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32',
      },
    });
  });
  after(async () => {
    await server?.close();
  });

  const scrape = (key?: string) =>
    fetch(`${server.origin}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  test('admin key required by default', async () => {
    assert.equal((await scrape()).status, 401);
    const member = 'member-key-for-metrics-0123';
    await registerApiKey(server.stint.store, member, { name: 'm', role: 'member' });
    const res = await scrape(member);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as any).error.status, 'PERMISSION_DENIED');
  });

  test('sessions, queue, durations, agent activity, HTTP latency and webhook outcomes', async () => {
    const hook = await api(server, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/unreachable' });
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    const s = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('measure', { plan: ['a'], steps: [{ message: 'hi' }] }),
    });
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${s.body.id}`)).body.state === 'COMPLETED',
      120_000, // bounds a hang; a busy machine is slow, the wait ends when the session completes
    );
    const other = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('stop', { plan: ['a'], steps: [{ sleep: 30_000 }] }),
    });
    await api(server, 'POST', `/sessions/${other.body.id}:cancel`, {});

    let samples: Sample[] = [];
    await waitUntil(async () => {
      const res = await scrape(server.apiKey);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      samples = parse(await res.text()).samples;
      return find(samples, 'stint_webhook_attempts_total', { outcome: 'retrying' }).length > 0;
    }, 120_000);

    assert.equal(find(samples, 'stint_sessions', { state: 'COMPLETED' })[0]?.value, 1);
    assert.equal(find(samples, 'stint_sessions', { state: 'FAILED' })[0]?.value, 1);
    assert.equal(find(samples, 'stint_sessions').length, 8, 'every state, zeros included');
    assert.equal(find(samples, 'stint_queue_depth')[0]?.value, 0);
    assert.equal(find(samples, 'stint_session_duration_seconds_count', { state: 'COMPLETED' })[0]?.value, 1);
    assert.equal(find(samples, 'stint_session_duration_seconds_count', { state: 'FAILED' })[0]?.value, 1);
    assert.ok(find(samples, 'stint_agent_activities_total', { kind: 'agentMessaged' })[0]!.value >= 1);
    const posts = find(samples, 'stint_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/v1alpha/sessions',
      code: '200',
    });
    assert.equal(posts[0]?.value, 2);
    assert.equal(
      find(samples, 'stint_http_request_duration_seconds_count', {
        route: '/v1alpha/sessions/{id}:cancel',
      })[0]?.value,
      1,
    );
    assert.ok(
      find(samples, 'stint_http_request_duration_seconds_count', { route: '/v1alpha/sessions/{id}' }).length >
        0,
    );
    assert.ok(find(samples, 'stint_webhook_deliveries', { status: 'pending' })[0]!.value > 0);
    assert.ok(find(samples, 'process_resident_memory_bytes')[0]!.value > 0);
    // Histogram buckets are cumulative and end at +Inf = _count.
    const buckets = find(samples, 'stint_http_request_duration_seconds_bucket', {
      method: 'POST',
      route: '/v1alpha/sessions',
      code: '200',
    });
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
    assert.equal(buckets.at(-1)!.labels.le, '+Inf');
    assert.equal(buckets.at(-1)!.value, posts[0]!.value);
  });

  test('STINT_METRICS=public needs no key; off answers 404', async () => {
    for (const [mode, status] of [
      ['public', 200],
      ['off', 404],
    ] as const) {
      const s = await startInProcess({ flags: { worker: false }, env: { STINT_METRICS: mode } });
      try {
        const res = await fetch(`${s.origin}/metrics`);
        assert.equal(res.status, status);
        await res.text();
      } finally {
        await s.close();
      }
    }
  });
});

test("agent turns and tokens count what grew, once, from the sessions' reported usage", async () => {
  const store = await openSqliteStore({ dataDir: ':memory:' });
  try {
    const metrics = new StintMetrics(store, () => 0);
    const usage = (turns: number, input: number, output: number) => ({
      model: 'openai:gpt-test',
      modelTurns: turns,
      inputTokens: input,
      outputTokens: output,
      totalTokens: input + output,
    });
    const fresh = sessionFixture('t');
    metrics.observeChange({ session: fresh, activities: [] }); // created here: baseline 0
    metrics.observeChange({ session: { ...fresh, usage: usage(1, 100, 10) }, activities: [] });
    metrics.observeChange({ session: { ...fresh, usage: usage(3, 250, 40) }, activities: [] });
    metrics.observeChange({ session: { ...fresh, usage: usage(3, 250, 40) }, activities: [] }); // no growth
    // Another process's change, re-announced here, is not counted.
    metrics.observeChange({ session: { ...fresh, usage: usage(9, 900, 90) }, activities: [], remote: true });
    // A session resumed after a restart, first seen with usage: only a baseline.
    const resumed = sessionFixture('t', { usage: usage(5, 1000, 100) });
    metrics.observeChange({ session: resumed, activities: [] });
    metrics.observeChange({ session: { ...resumed, usage: usage(6, 1100, 120) }, activities: [] });
    const { samples } = parse(await metrics.registry.render());
    assert.equal(find(samples, 'stint_agent_turns_total', { model: 'openai:gpt-test' })[0]?.value, 4);
    assert.equal(find(samples, 'stint_agent_tokens_total', { direction: 'input' })[0]?.value, 350);
    assert.equal(find(samples, 'stint_agent_tokens_total', { direction: 'output' })[0]?.value, 60);
  } finally {
    await store.close();
  }
});

test('a collector that fails is left out of the scrape, and said, while the other families stay', async () => {
  const store = await openSqliteStore({ dataDir: ':memory:' });
  try {
    const broken = Object.create(store, {
      countSessionsByState: { value: async () => Promise.reject(new Error('store down')) },
    });
    const metrics = new StintMetrics(broken, () => 3);
    const failed: string[] = [];
    const text = await metrics.registry.render((name) => failed.push(name));
    assert.deepEqual(failed, ['stint_sessions']);
    const { samples, types } = parse(text);
    assert.equal(types.has('stint_sessions'), false);
    assert.equal(find(samples, 'stint_sse_streams')[0]?.value, 3);
    assert.equal(find(samples, 'stint_queue_depth')[0]?.value, 0);
    assert.equal(types.get('stint_http_request_duration_seconds'), 'histogram');
  } finally {
    await store.close();
  }
});
