/** 1. API overhead: GET /v1alpha/sessions/{id} (auth + store read) vs a bare node:http server, same Node binary. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { api, startServer } from '../test/support/server.ts';
import { log, round, type Section } from './lib.ts';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

async function load(url: string, headers: Record<string, string>, seconds: number) {
  const r = await autocannon({ url, headers, connections: 32, pipelining: 1, duration: seconds });
  return { rps: r.requests.average as number, p99: r.latency.p99 as number, errors: r.errors + r.non2xx };
}

export async function benchApiOverhead(seconds = 8): Promise<Section> {
  const server = await startServer({ env: { STINT_LOG_LEVEL: 'error' } });
  try {
    const created = await api(server, 'POST', '/sessions', { prompt: 'benchmark session' });
    const id = created.body.id as string;
    const one = await api(server, 'GET', `/sessions/${id}`);
    const bare = spawn(process.execPath, [join(import.meta.dirname, 'bare-server.ts')], {
      env: { ...process.env, BARE_BODY: JSON.stringify(one.body) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const bareUrl = await new Promise<string>((resolve, reject) => {
      bare.stdout!.on('data', (d) => {
        const m = /listening on (\S+)/.exec(String(d));
        if (m) resolve(m[1]!);
      });
      bare.once('exit', () => reject(new Error('bare server exited')));
    });
    try {
      log('api overhead: warming up');
      await load(`${bareUrl}/`, {}, 2);
      await load(`${server.baseUrl}/sessions/${id}`, { 'x-goog-api-key': server.apiKey }, 2);
      // Alternate the two servers and keep each one's best round, so a burst of load from
      // elsewhere on the machine penalises neither side alone.
      let base = { rps: 0, p99: 0, errors: 0 };
      let stint = { rps: 0, p99: 0, errors: 0 };
      for (let round = 0; round < 3; round++) {
        log(`api overhead: round ${round + 1}/3`);
        const b = await load(`${bareUrl}/`, {}, seconds);
        const s = await load(
          `${server.baseUrl}/sessions/${id}`,
          { 'x-goog-api-key': server.apiKey },
          seconds,
        );
        if (b.rps > base.rps) base = b;
        if (s.rps > stint.rps) stint = s;
      }
      const ratio = stint.rps / base.rps;
      return {
        title: 'API overhead: GET /v1alpha/sessions/{id}',
        figures: [
          {
            name: 'throughput',
            value: round(stint.rps, 0),
            unit: 'req/s',
            baselineName: 'bare node:http',
            baseline: round(base.rps, 0),
            ratio: round(ratio, 3),
            target: '≥ 0.60 of the bare server',
            met: ratio >= 0.6,
          },
          {
            name: 'p99 latency',
            value: stint.p99,
            unit: 'ms',
            baselineName: 'bare node:http',
            baseline: base.p99,
            ratio: base.p99 > 0 ? round(stint.p99 / base.p99, 2) : undefined,
          },
        ],
        notes: [
          `autocannon, 32 connections, 3 alternating rounds of ${seconds} s per server (best round of each), from the bench process on the same machine; errors: stint ${stint.errors}, bare ${base.errors}.`,
          'Stint does the API-key check (hash + cached lookup), a SQLite read and JSON serialisation per request.',
        ],
      };
    } finally {
      bare.kill('SIGTERM');
    }
  } finally {
    await server.cleanup();
  }
}
