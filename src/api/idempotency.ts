/**
 * `Idempotency-Key` on POST requests under /v1alpha (create session, custom methods, webhooks; not
 * the admin API, whose answers may carry new API keys):
 * the first request with a key reserves it for the tenant and its response (any status below 500
 * except 429) is recorded; a retry with the same key and the same request gets that response again
 * (`Idempotent-Replayed: true`) instead of running twice. A duplicate arriving while the first is
 * still running waits for it, up to `waitMs`, then gets 409 ABORTED. Reusing a key for a different
 * request is 400 INVALID_ARGUMENT. A 5xx or 429 frees the key so a retry runs again. Keys expire
 * after `ttlMs`; a reservation whose request died is taken over after `lockMs`.
 * Known window: a crash after the request's effect is committed but before its response is
 * recorded lets a retry after `lockMs` run it again.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument, StintError } from '../domain/errors.ts';
import type { IdempotencyStore } from '../store/idempotency-store.ts';
import { isAdminRoute, isApiRoute, routedPath } from './request-path.ts';

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** How long a key and its response are kept. */
  ttlMs: number;
  /** How long a reservation is honoured while its request runs. */
  lockMs: number;
  /** How long a duplicate waits for the first request before 409 ABORTED. */
  waitMs: number;
}

export const IDEMPOTENCY_DEFAULTS = Object.freeze({ ttlMs: 24 * 3600_000, lockMs: 60_000, waitMs: 10_000 });

interface Held {
  tenantId: string;
  key: string;
  fingerprint: string;
}

const held = new WeakMap<FastifyRequest, Held>();
const KEY = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonical(body ?? {})}`)
    .digest('hex');
}

export function registerIdempotency(app: FastifyInstance, opts: IdempotencyOptions): void {
  const waiters = new Map<string, Set<() => void>>();
  const notify = (id: string) => {
    for (const w of waiters.get(id) ?? []) w();
  };
  const waitLocal = (id: string, ms: number) =>
    new Promise<void>((resolve) => {
      const set = waiters.get(id) ?? new Set<() => void>();
      waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });

  const reserveKey = async (req: FastifyRequest, reply: FastifyReply) => {
    // By the routed path, as auth decides: `//v1alpha/sessions` is the same route as `/v1alpha/sessions`.
    if (req.method !== 'POST' || !isApiRoute(req)) return;
    // Admin answers can carry a new API key, which must never be stored: no replay there.
    if (isAdminRoute(req)) return;
    const raw = req.headers['idempotency-key'];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw invalidArgument('Idempotency-Key must be 1 to 255 printable ASCII characters.');
    }
    const tenantId = req.principal.tenantId;
    const fingerprint = requestFingerprint(req.method, routedPath(req), req.body);
    const local = `${tenantId}\n${key}`;
    const deadline = Date.now() + opts.waitMs;
    for (let round = 0; ; round++) {
      const r = await opts.store.reserve({
        tenantId,
        key,
        fingerprint,
        lockMs: opts.lockMs,
        ttlMs: opts.ttlMs,
      });
      if (r.reserved) {
        held.set(req, { tenantId, key, fingerprint });
        return;
      }
      const existing = r.existing;
      if (existing.fingerprint !== fingerprint) {
        throw invalidArgument(
          'Idempotency-Key was already used for a different request; use a new key for a new request.',
        );
      }
      if (existing.state === 'done') {
        return reply
          .code(existing.statusCode ?? 200)
          .header('idempotent-replayed', 'true')
          .type(existing.contentType ?? 'application/json; charset=utf-8')
          .send(existing.response ?? '');
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StintError(
          'ABORTED',
          'A request with this Idempotency-Key is still in progress; retry it after it has finished.',
          { retryAfter: 1 },
        );
      }
      // Woken at once when the first request ran in this process; else poll (another process).
      await waitLocal(local, Math.min(left, 25 * 2 ** Math.min(round, 4)));
    }
  };

  const recordResponse = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const h = held.get(req);
    if (!h) return payload;
    held.delete(req);
    const local = `${h.tenantId}\n${h.key}`;
    try {
      const status = reply.statusCode;
      if (status >= 500 || status === 429 || typeof payload !== 'string') {
        await opts.store.release(h.tenantId, h.key, h.fingerprint);
      } else {
        const type = reply.getHeader('content-type');
        await opts.store.complete(h.tenantId, h.key, h.fingerprint, {
          statusCode: status,
          response: payload,
          contentType: typeof type === 'string' ? type : 'application/json; charset=utf-8',
        });
      }
    } catch (e) {
      req.log.error({ err: e }, 'could not record an idempotent response');
    } finally {
      notify(local);
    }
    return payload;
  };

  // Only on the routes a POST under /v1alpha (not the admin API) can reach: a GET, the hot path of
  // polling clients, runs neither hook, not even to return at once.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!methods.includes('POST') && !methods.includes('*')) return;
    if (!under(route.url, '/v1alpha') || under(route.url, '/v1alpha/admin')) return;
    route.preHandler = [reserveKey, ...[route.preHandler ?? []].flat()];
    route.onSend = [...[route.onSend ?? []].flat(), recordResponse];
  });
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
