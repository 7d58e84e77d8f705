/**
 * 5. Live delivery: N concurrent GET …/activities:stream subscribers on one session; latency from an
 * activity's commit (its createTime, stamped inside the committing transaction) to its receipt by each
 * subscriber, next to a bare node:http SSE broadcaster (own process) driven the same way.
 */
import { spawn } from 'node:child_process';
import { Agent, type ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import { parseTimestamp } from '../src/domain/time.ts';
import { scriptPrompt } from '../test/support/git-fixtures.ts';
import { api, startServer, waitUntil } from '../test/support/server.ts';
import { log, percentile, round, SERVER_ENTRY, type Section } from './lib.ts';

const OVERALL_MS = 120_000;
const CONNECT_BATCH = 100;
const INTERVAL_MS = 100;

interface Subscriber {
  req: ClientRequest;
  connected: Promise<void>;
  ended: Promise<void>;
  /** Times each expected message (m0, m1, …) arrived. */
  counts: Map<string, number>;
  status: number;
}

interface Run {
  latencies: number[];
  subs: Subscriber[];
}

const wallMs = () => performance.timeOrigin + performance.now();

/** Opens one SSE stream; every agentMessaged `m<i>` event adds its commit-to-receipt latency (ms). */
function subscribe(
  url: string,
  headers: Record<string, string>,
  agent: Agent,
  latencies: number[],
): Subscriber {
  const counts = new Map<string, number>();
  let onConnected!: () => void;
  let onConnectFail!: (e: Error) => void;
  let onEnded!: () => void;
  const connected = new Promise<void>((res, rej) => {
    onConnected = res;
    onConnectFail = rej;
  });
  const ended = new Promise<void>((res) => {
    onEnded = res;
  });
  const sub: Subscriber = { req: undefined as unknown as ClientRequest, connected, ended, counts, status: 0 };
  sub.req = request(url, { agent, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    sub.status = res.statusCode ?? 0;
    if (sub.status !== 200) onConnectFail(new Error(`stream answered ${sub.status}`));
    else onConnected();
    res.setEncoding('utf8');
    let buf = '';
    let data = '';
    res.on('data', (chunk: string) => {
      const at = wallMs();
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (line === '') {
          if (data) {
            const a = JSON.parse(data) as { createTime: string; agentMessaged?: { agentMessage: string } };
            const text = a.agentMessaged?.agentMessage;
            if (text && /^m\d+$/.test(text)) {
              counts.set(text, (counts.get(text) ?? 0) + 1);
              latencies.push(at - parseTimestamp(a.createTime)! / 1000);
            }
          }
          data = '';
        } else if (line.startsWith('data:')) {
          const v = line.slice(5).replace(/^ /, '');
          data = data ? `${data}\n${v}` : v;
        }
      }
    });
    res.once('end', onEnded);
    res.once('close', onEnded);
  });
  sub.req.once('error', (e) => {
    onConnectFail(e);
    onEnded();
  });
  sub.req.end();
  return sub;
}

async function within<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(
      () => rej(new Error(`live delivery: timed out ${what}`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects `n` subscribers, CONNECT_BATCH at a time, then runs `go` and waits for every stream to end. */
async function measure(
  n: number,
  url: string,
  headers: Record<string, string>,
  go: () => Promise<void>,
  deadline: number,
): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: n + 10, maxTotalSockets: n + 10 });
  const latencies: number[] = [];
  const subs: Subscriber[] = [];
  try {
    for (let i = 0; i < n; i += CONNECT_BATCH) {
      const batch: Subscriber[] = [];
      for (let j = i; j < Math.min(n, i + CONNECT_BATCH); j++)
        batch.push(subscribe(url, headers, agent, latencies));
      subs.push(...batch);
      await within(Promise.all(batch.map((s) => s.connected)), deadline, 'connecting subscribers');
    }
    await go();
    await within(Promise.all(subs.map((s) => s.ended)), deadline, 'waiting for the streams to end');
    return { latencies, subs };
  } finally {
    for (const s of subs) s.req.destroy();
    agent.destroy();
  }
}

/** Subscribers that got every message exactly once, and the total of missing / duplicate receipts. */
function tally(run: Run, activities: number) {
  let complete = 0;
  let missing = 0;
  let duplicates = 0;
  for (const s of run.subs) {
    let ok = true;
    for (let i = 0; i < activities; i++) {
      const c = s.counts.get(`m${i}`) ?? 0;
      if (c === 0) missing++;
      if (c > 1) duplicates += c - 1;
      if (c !== 1) ok = false;
    }
    if (ok) complete++;
  }
  return { complete, missing, duplicates };
}

export async function benchLiveDelivery(opts: { subscribers: number; activities: number }): Promise<Section> {
  const { subscribers: n, activities } = opts;
  const deadline = Date.now() + OVERALL_MS;

  // Baseline first: a bare node:http broadcaster in its own process.
  log(`live delivery: baseline, ${n} subscribers × ${activities} events`);
  const bare = spawn(process.execPath, [join(import.meta.dirname, 'bare-sse-server.ts')], {
    env: { ...process.env, BARE_EVENTS: String(activities), BARE_INTERVAL_MS: String(INTERVAL_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let base: Run;
  try {
    const bareUrl = await within(
      new Promise<string>((resolve, reject) => {
        bare.stdout!.on('data', (d) => {
          const m = /listening on (\S+)/.exec(String(d));
          if (m) resolve(m[1]!);
        });
        bare.once('exit', () => reject(new Error('bare SSE server exited')));
      }),
      deadline,
      'starting the bare SSE server',
    );
    base = await measure(
      n,
      `${bareUrl}/stream`,
      {},
      async () => {
        const res = await fetch(`${bareUrl}/start`, { method: 'POST' });
        if (res.status !== 204) throw new Error(`bare /start answered ${res.status}`);
      },
      deadline,
    );
  } finally {
    bare.kill('SIGKILL');
  }

  log(`live delivery: stint, ${n} subscribers × ${activities} activities`);
  const server = await startServer({
    entry: SERVER_ENTRY,
    env: { STINT_LOG_LEVEL: 'error', ...cpuProfEnv() },
  });
  let stint: Run;
  try {
    // The agent asks first and waits, so every subscriber is connected before the measured messages.
    const steps: unknown[] = [{ ask: 'ready?' }];
    for (let i = 0; i < activities; i++) steps.push({ message: `m${i}` }, { sleep: INTERVAL_MS });
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('live delivery benchmark', { title: 'live', plan: ['p'], steps }),
    });
    if (created.status !== 200)
      throw new Error(`create session: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id as string;
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'AWAITING_USER_FEEDBACK',
      Math.max(1000, deadline - Date.now()),
    );
    stint = await measure(
      n,
      `${server.baseUrl}/sessions/${id}/activities:stream`,
      { 'x-goog-api-key': server.apiKey },
      async () => {
        const r = await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'go' });
        if (r.status !== 200) throw new Error(`sendMessage: ${r.status} ${JSON.stringify(r.body)}`);
      },
      deadline,
    );
  } finally {
    // A graceful stop first (bounded), so a requested CPU profile gets written.
    await Promise.race([server.stop(), new Promise((r) => setTimeout(r, 5000))]);
    await server.cleanup();
  }

  const s = tally(stint, activities);
  const b = tally(base, activities);
  const p99 = percentile(stint.latencies, 99);
  const baseP99 = percentile(base.latencies, 99);
  const stat = (l: number[]) =>
    `p50 ${round(percentile(l, 50))} ms, p99 ${round(percentile(l, 99))} ms, max ${round(Math.max(...l))} ms over ${l.length} receipts`;
  return {
    title: `Live delivery: ${n} concurrent activity-stream subscribers`,
    figures: [
      {
        name: 'commit-to-receipt latency, p99',
        value: round(p99),
        unit: 'ms',
        baselineName: 'bare node:http SSE broadcast',
        baseline: round(baseP99),
        ratio: baseP99 > 0 ? round(p99 / baseP99, 2) : undefined,
        target: '< 100 ms p99',
        met: p99 < 100 && s.complete === n,
      },
      {
        name: 'commit-to-receipt latency, p50',
        value: round(percentile(stint.latencies, 50)),
        unit: 'ms',
        baselineName: 'bare node:http SSE broadcast',
        baseline: round(percentile(base.latencies, 50)),
      },
    ],
    notes: [
      `${n} SSE connections (node:http, one socket each) to GET /v1alpha/sessions/{id}/activities:stream, opened before the session's scripted agent posts ${activities} agentMessaged activities ${INTERVAL_MS} ms apart; latency = receipt wall clock (bench process) − the activity's createTime (stamped in the committing transaction), SQLite store, all on this machine.`,
      `Stint: ${stat(stint.latencies)}; ${s.complete}/${n} subscribers got every activity exactly once (missing ${s.missing}, duplicates ${s.duplicates}).`,
      `Baseline: a bare node:http server in its own process writing one pre-serialised event to all ${n} streams every ${INTERVAL_MS} ms, stamped just before the writes: ${stat(base.latencies)}; ${b.complete}/${n} subscribers complete (missing ${b.missing}, duplicates ${b.duplicates}).`,
    ],
  };
}

/** BENCH_LIVE_CPU_PROF=DIR writes a CPU profile of the Stint server process there. */
function cpuProfEnv(): Record<string, string> {
  const dir = process.env.BENCH_LIVE_CPU_PROF;
  return dir
    ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim() }
    : {};
}
