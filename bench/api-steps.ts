/**
 * `npx node bench/api-steps.ts [n]`: the steps of GET /v1alpha/sessions/{id}, each measured in
 * CPU time (process.cpuUsage) and interleaved A/B in small batches, so a machine shared with other
 * work slows both sides alike: the store read built by Kysely per call against the prepared SQL
 * through Kysely's driver and run at once on the connection (what getSession does now), the API-key lookup hashed per request against the cache by key, and
 * the whole request in-process (app.inject, no sockets) against a bare Fastify app answering the
 * same JSON from memory, whose difference is Stint's own per-request work.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import Fastify from 'fastify';
import { registerApiKey } from '../src/api/auth.ts';
import { buildConfig } from '../src/config.ts';
import { createStint } from '../src/server.ts';
import { rowToRecord } from '../src/store/sql/rows.ts';
import { getSession } from '../src/store/sql/session-queries.ts';
import type { SqlStore } from '../src/store/sql/sql-store.ts';
import { sqliteAdapter } from '../src/store/sqlite/sqlite-adapter.ts';
import { makeTempDir } from '../test/support/server.ts';

const n = Number(process.argv[2] ?? 20_000);
const dataDir = makeTempDir('stint-steps-');
const config = buildConfig(
  { dataDir, host: '127.0.0.1', port: '0', worker: false },
  { STINT_LOG_LEVEL: 'error' },
);
const stint = await createStint(config);
await stint.app.ready();
const key = 'bench_steps_key_0123456789';
await registerApiKey(stint.store, key, { name: 'bench', role: 'admin' });
const headers = { 'x-goog-api-key': key, 'content-type': 'application/json' };
const created = await stint.app.inject({
  method: 'POST',
  url: '/v1alpha/sessions',
  headers,
  payload: JSON.stringify({ prompt: 'bench' }),
});
const id = created.json().id as string;
const url = `/v1alpha/sessions/${id}`;
const body = (await stint.app.inject({ method: 'GET', url, headers })).body;

const bare = Fastify({ logger: false });
bare.get('/v1alpha/sessions/:id', async (_req, reply) =>
  reply.type('application/json; charset=utf-8').send(body),
);
await bare.ready();

/** CPU µs per call of a and b, interleaved in `pairs` batches of `batch` calls; medians. */
async function ab(a: () => Promise<unknown>, b: () => Promise<unknown>, batch: number, pairs = 15) {
  const per = async (fn: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) await fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / batch;
  };
  await per(a);
  await per(b);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let p = 0; p < pairs; p++) {
    xs.push(await per(a));
    ys.push(await per(b));
  }
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
  return { a: med(xs), b: med(ys) };
}

const db = (stint.store as SqlStore).db;
const built = async () => {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', id)
    .where('tenant_id', '=', 'default')
    .executeTakeFirst();
  return row ? rowToRecord(row) : undefined;
};
const viaDriver = () => getSession(db, sqliteAdapter, id, 'default');
const read = await ab(built, viaDriver, Math.ceil(n / 10));
console.log(`store read: built by Kysely ${read.a.toFixed(1)} µs, prepared SQL ${read.b.toFixed(1)} µs`);
const direct = await ab(viaDriver, () => stint.store.getSession(id, 'default'), Math.ceil(n / 10));
console.log(
  `store read: prepared SQL through Kysely's driver ${direct.a.toFixed(1)} µs, run at once on the connection ${direct.b.toFixed(1)} µs`,
);

const cache = new Map([[createHash('sha256').update(key).digest('hex'), 1]]);
const byKey = new Map([[key, 1]]);
const auth = await ab(
  async () => cache.get(createHash('sha256').update(key, 'utf8').digest('hex')),
  async () => byKey.get(key),
  n,
);
console.log(`key lookup: hashed per request ${auth.a.toFixed(2)} µs, cached by key ${auth.b.toFixed(2)} µs`);

const whole = await ab(
  () => bare.inject({ method: 'GET', url, headers }),
  () => stint.app.inject({ method: 'GET', url, headers }),
  Math.ceil(n / 10),
);
console.log(
  `whole request in-process: bare Fastify ${whole.a.toFixed(1)} µs, Stint ${whole.b.toFixed(1)} µs, Stint's own ${(whole.b - whole.a).toFixed(1)} µs`,
);
await stint.close();
await bare.close();
rmSync(dataDir, { recursive: true, force: true });
