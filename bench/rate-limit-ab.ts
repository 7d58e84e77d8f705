/**
 * `npx node bench/rate-limit-ab.ts [n]`: what the rate limit costs per request, Stint's own limiter
 * (src/security/rate-limiter.ts, token buckets per key and per tenant, a synchronous check when the
 * limits are cached) against `@fastify/rate-limit` doing the same job (one limiter per key and one
 * per tenant through its `createRateLimit`, limits from the same cached lookup, 0 = unlimited through
 * its allow list). Three Fastify apps answer GET /v1alpha/sessions/{id} from memory after the same
 * stand-in for authentication; each request is an in-process `app.inject`, CPU time per request,
 * the apps interleaved in small batches (medians), with the limits off (the default) and on (high
 * enough that nothing is refused).
 */
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { StintError } from '../src/domain/errors.ts';
import { RateLimiter } from '../src/security/rate-limiter.ts';
import type { Principal } from '../src/services/session-service.ts';
import type { SecurityStore } from '../src/store/security-store.ts';

const n = Number(process.argv[2] ?? 20_000);
const body = JSON.stringify({ name: 'sessions/1', id: '1', state: 'COMPLETED', outputs: [] });
const who: Principal = { tenantId: 't', keyId: 'k', role: 'member' };

type App = (perMinute: number) => Promise<FastifyInstance>;

function base(): FastifyInstance {
  const app = Fastify({ logger: false });
  app.decorateRequest('principal', undefined as unknown as Principal);
  app.addHook('onRequest', (req, _reply, done) => {
    req.principal = who;
    done();
  });
  return app;
}

function route(app: FastifyInstance): void {
  app.get('/v1alpha/sessions/:id', (_req, reply) => {
    reply.type('application/json; charset=utf-8').send(body);
  });
}

const none: App = async () => {
  const app = base();
  route(app);
  return app;
};

/** Stint's hook as src/security/setup.ts registers it. */
const handWritten: App = async (perMinute) => {
  const store = { rateLimits: async () => ({ key: null, tenant: null }) } as unknown as SecurityStore;
  const limiter = new RateLimiter(store, { perKey: perMinute, perTenant: perMinute });
  const app = base();
  app.addHook('onRequest', (req, _reply, done) => {
    let pending: Promise<void> | undefined;
    try {
      pending = limiter.checkFast(req.principal);
    } catch (e) {
      return done(e as Error);
    }
    if (pending) pending.then(() => done(), done);
    else done();
  });
  route(app);
  return app;
};

/** The same limits with @fastify/rate-limit (fixed one-minute windows in its local store). */
const plugin: App = async (perMinute) => {
  const app = base();
  await app.register(rateLimit, { global: false });
  // The limits per key and per tenant, cached like Stint's (here: constant).
  const limitOf = (_req: FastifyRequest) => perMinute;
  const common = {
    timeWindow: 60_000,
    max: (req: FastifyRequest) => limitOf(req),
    allowList: (req: FastifyRequest) => limitOf(req) === 0,
  };
  const perKey = app.createRateLimit({ ...common, keyGenerator: (req) => `k:${req.principal.keyId}` });
  const perTenant = app.createRateLimit({ ...common, keyGenerator: (req) => `t:${req.principal.tenantId}` });
  app.addHook('onRequest', async (req, reply) => {
    for (const check of [perKey, perTenant]) {
      const r = await check(req);
      if (!r.isAllowed && r.isExceeded) {
        reply.header('retry-after', r.ttlInSeconds);
        throw new StintError('RESOURCE_EXHAUSTED', 'Rate limit exceeded.', { retryAfter: r.ttlInSeconds });
      }
    }
  });
  route(app);
  return app;
};

async function perRequest(app: FastifyInstance, batch: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < batch; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1alpha/sessions/1' });
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / batch;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

for (const perMinute of [0, 1_000_000_000]) {
  const apps = {
    none: await none(perMinute),
    hand: await handWritten(perMinute),
    plugin: await plugin(perMinute),
  };
  const batch = Math.ceil(n / 15);
  const xs: Record<keyof typeof apps, number[]> = { none: [], hand: [], plugin: [] };
  for (const k of Object.keys(apps) as (keyof typeof apps)[]) await perRequest(apps[k], batch);
  for (let round = 0; round < 15; round++) {
    for (const k of Object.keys(apps) as (keyof typeof apps)[]) xs[k].push(await perRequest(apps[k], batch));
  }
  const m = { none: median(xs.none), hand: median(xs.hand), plugin: median(xs.plugin) };
  console.log(
    `limits ${perMinute === 0 ? 'off' : 'on'}: no limiter ${m.none.toFixed(1)} µs, Stint's limiter +${(m.hand - m.none).toFixed(1)} µs, @fastify/rate-limit +${(m.plugin - m.none).toFixed(1)} µs per request`,
  );
  for (const app of Object.values(apps)) await app.close();
}
