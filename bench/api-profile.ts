/**
 * `npx node bench/api-profile.ts [seconds]`: `stint serve` under `--cpu-prof`, loaded with the
 * API-overhead bench's GET /v1alpha/sessions/{id} (autocannon, 32 connections), then a summary of
 * the profile: top self-time frames and self time by where the code lives (Stint's folders, each
 * package), with idle left out so the shares are of the CPU the server used.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startServer, waitUntil } from '../test/support/server.ts';
import { SERVER_ENTRY } from './lib.ts';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  /** Monotonic clock, µs (the clock process.hrtime reads). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, a folder of Stint's src/, node's own code, or V8's pseudo-frames. */
function place(url: string, name: string): string {
  if (url === '') return `(${name.replace(/[()]/g, '') || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/src\/([^/]+)\//.exec(url);
  if (src) return `stint:${src[1]}`;
  if (url.startsWith('node:')) return 'node';
  return url;
}

/** Self time by frame and by place, of the samples taken within [from, to] (monotonic µs). */
export function summarise(profile: Profile, from = 0, to = Number.POSITIVE_INFINITY, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const frames = new Map<string, number>();
  const places = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === '(idle)') continue;
    busy += us;
    const short = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/');
    const k = `${f.functionName || '(anonymous)'} ${short}:${f.lineNumber + 1}`;
    frames.set(k, (frames.get(k) ?? 0) + us);
    const p = place(f.url, f.functionName);
    places.set(p, (places.get(p) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  const lines = [
    `busy ${(busy / 1e6).toFixed(2)} s of the samples taken under load`,
    '',
    'self time by frame:',
  ];
  for (const [k, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(us)}  ${k}`);
  lines.push('', 'self time by place:');
  for (const [k, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}

if (import.meta.main) {
  const seconds = Number(process.argv[2] ?? 10);
  const dir = mkdtempSync(join(tmpdir(), 'stint-prof-'));
  const server = await startServer({
    entry: SERVER_ENTRY,
    env: { STINT_LOG_LEVEL: 'error', NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` },
  });
  let requests = 0;
  let from = 0;
  let to = 0;
  try {
    const created = await api(server, 'POST', '/sessions', { prompt: 'profile session' });
    const url = `${server.baseUrl}/sessions/${created.body.id}`;
    await waitUntil(async () =>
      ['COMPLETED', 'FAILED'].includes((await api(server, 'GET', `/sessions/${created.body.id}`)).body.state),
    );
    const headers = { 'x-goog-api-key': server.apiKey, 'content-type': 'application/json' };
    await autocannon({ url, headers, connections: 32, duration: 2 });
    from = Number(process.hrtime.bigint() / 1000n);
    const r = await autocannon({ url, headers, connections: 32, duration: seconds });
    to = Number(process.hrtime.bigint() / 1000n);
    requests = r.requests.total;
  } finally {
    await server.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  console.log(`${requests} requests in ${seconds} s`);
  console.log(summarise(profile, from, to));
  if (process.env.KEEP_PROFILE) console.log(`profile: ${join(dir, file)}`);
  else rmSync(dir, { recursive: true, force: true });
  await server.cleanup();
}
