/**
 * `npx node bench/api-ab.ts <tree A> <tree B> [n]`: two checkouts of Stint (e.g. `git archive main`
 * unpacked beside node_modules, and this tree) in one process, each with its own data dir: GET
 * /v1alpha/sessions/{id}, GET /v1alpha/sessions and POST :archive through app.inject, CPU time per
 * request, A and B interleaved in small batches (alternating which goes first); medians. On a
 * shared machine only the ratio B/A means anything.
 */
import { rmSync } from 'node:fs';

const [baseRoot, newRoot] = [process.argv[2]!, process.argv[3]!];
const n = Number(process.argv[4] ?? 20000);
async function start(root: string) {
  const { buildConfig } = await import(`${root}/src/config.ts`);
  const { createStint } = await import(`${root}/src/server.ts`);
  const { registerApiKey } = await import(`${root}/src/api/auth.ts`);
  const { makeTempDir } = await import(`${root}/test/support/server.ts`);
  const dataDir = makeTempDir('stint-ab-');
  const config = buildConfig(
    { dataDir, host: '127.0.0.1', port: '0', worker: false },
    { STINT_LOG_LEVEL: 'error' },
  );
  const stint = await createStint(config);
  await stint.app.ready();
  const key = 'bench_ab_key_0123456789';
  await registerApiKey(stint.store, key, { name: 'bench', role: 'admin' });
  const headers = { 'x-goog-api-key': key, 'content-type': 'application/json' };
  const created = await stint.app.inject({
    method: 'POST',
    url: '/v1alpha/sessions',
    headers,
    payload: JSON.stringify({ prompt: 'bench' }),
  });
  const id = created.json().id as string;
  return { stint, dataDir, headers, id };
}
const A = await start(baseRoot);
const B = await start(newRoot);
async function ab(a: () => Promise<unknown>, b: () => Promise<unknown>, batch: number, pairs = 21) {
  const per = async (fn: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) await fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / batch;
  };
  await per(a);
  await per(b);
  await per(a);
  await per(b);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let p = 0; p < pairs; p++) {
    if (p % 2) {
      xs.push(await per(a));
      ys.push(await per(b));
    } else {
      ys.push(await per(b));
      xs.push(await per(a));
    }
  }
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
  return { a: med(xs), b: med(ys) };
}
const get = (S: typeof A) => () =>
  S.stint.app.inject({ method: 'GET', url: `/v1alpha/sessions/${S.id}`, headers: S.headers });
const r = await ab(get(A), get(B), Math.ceil(n / 21));
console.log(
  `GET /v1alpha/sessions/{id} in-process CPU per request: before ${r.a.toFixed(1)} µs, after ${r.b.toFixed(1)} µs, after/before ${(r.b / r.a).toFixed(3)}`,
);
const list = (S: typeof A) => () =>
  S.stint.app.inject({ method: 'GET', url: `/v1alpha/sessions?pageSize=5`, headers: S.headers });
const l = await ab(list(A), list(B), Math.ceil(n / 42));
console.log(
  `GET /v1alpha/sessions in-process CPU per request: before ${l.a.toFixed(1)} µs, after ${l.b.toFixed(1)} µs, after/before ${(l.b / l.a).toFixed(3)}`,
);
const arch = (S: typeof A) => () =>
  S.stint.app.inject({
    method: 'POST',
    url: `/v1alpha/sessions/${S.id}:archive`,
    headers: S.headers,
    payload: '{}',
  });
const c = await ab(arch(A), arch(B), Math.ceil(n / 84));
console.log(
  `POST /v1alpha/sessions/{id}:archive in-process CPU per request: before ${c.a.toFixed(1)} µs, after ${c.b.toFixed(1)} µs, after/before ${(c.b / c.a).toFixed(3)}`,
);
for (const S of [A, B]) {
  await S.stint.close();
  rmSync(S.dataDir, { recursive: true, force: true });
}
