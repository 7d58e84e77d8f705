/**
 * The admin API (Stint's own, under /v1alpha/admin): what `stint tenants`, `stint keys`,
 * `stint secrets` and `stint audit` do on the server's machine, for admin keys over HTTP. Admin keys
 * administer the whole server (every tenant); member keys get 403 PERMISSION_DENIED here, and the
 * Jules API stays scoped to the key's own tenant for both.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { type Authenticator, generateApiKey, registerApiKey } from '../api/auth.ts';
import { methodUrl } from '../api/custom-methods.ts';
import { EmptyResource, ref } from '../api/resource-schemas.ts';
import { answers, docsOnly, pathParams, type RouteDocs } from '../api/route-docs.ts';
import { invalidArgument, notFound, StintError } from '../domain/errors.ts';
import { TENANT_ID } from '../domain/names.ts';
import { formatTimestamp } from '../domain/time.ts';
import type { Principal } from '../services/session-service.ts';
import type { TenantPatch, TenantRecord } from '../store/security-store.ts';
import type { ApiKeyRecord, Store } from '../store/store.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { SecretsService } from './secrets.ts';

export interface AdminDeps {
  store: Store;
  secrets: SecretsService;
  limiter: RateLimiter;
  /** Told when a key is revoked here, so its cached answer is dropped at once. */
  auth?: Pick<Authenticator, 'forgetKeys'>;
}

type Body = Record<string, unknown>;

/** Route options documenting an admin operation (handlers check bodies themselves, as before). */
function op(operationId: string, summary: string, docs: RouteDocs = {}, empty = false) {
  const response = empty ? ref(EmptyResource) : Type.Object({});
  return {
    schema: { operationId, tags: ['admin'], summary, response: answers(response) },
    config: docsOnly(docs),
  };
}
const limit = (what: string) =>
  Type.Optional(
    Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: `${what}; 0 = unlimited, null = the server default.`,
    }),
  );
const tenantFields = {
  name: Type.Optional(Type.String({ maxLength: 200 })),
  maxWorkingSessions: limit('Sessions of this tenant worked on at once'),
  rateLimitPerMinute: limit('Requests per minute for the tenant'),
};
const tenantParam = pathParams({ tenant: 'The tenant id.' });
const keyParam = pathParams({ id: 'The key id.' });
const secretParams = pathParams({ tenant: 'The tenant id.', name: 'The secret name.' });
const query = (fields: Record<string, string>): TSchema =>
  Type.Object(
    Object.fromEntries(
      Object.entries(fields).map(([k, d]) => [k, Type.Optional(Type.String({ description: d }))]),
    ),
  );

function admin(req: FastifyRequest): Principal {
  const who = (req as FastifyRequest & { principal?: Principal }).principal;
  if (!who) throw new StintError('UNAUTHENTICATED', 'Request is missing an API key.');
  if (who.role !== 'admin') throw new StintError('PERMISSION_DENIED', 'This method needs an admin API key.');
  return who;
}

function body(req: FastifyRequest): Body {
  const b = req.body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw invalidArgument('Request body must be a JSON object.');
  return b as Body;
}

function optString(b: Body, field: string, max = 200): string | undefined {
  const v = b[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max)
    throw invalidArgument(`${field} must be a string of at most ${max} characters.`);
  return v;
}

/** A limit field: a whole number >= 0 (0 = unlimited) or null (the server's default). */
function optLimit(b: Body, field: string): number | null | undefined {
  const v = b[field];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 10_000_000) {
    throw invalidArgument(
      `${field} must be a whole number >= 0 (0 = unlimited) or null (the server default).`,
    );
  }
  return v;
}

function tenantPatch(b: Body): TenantPatch {
  const patch: TenantPatch = {};
  const name = optString(b, 'name');
  if (name !== undefined) patch.name = name;
  const working = optLimit(b, 'maxWorkingSessions');
  if (working !== undefined) patch.maxWorkingSessions = working;
  const rate = optLimit(b, 'rateLimitPerMinute');
  if (rate !== undefined) patch.rateLimitPerMinute = rate;
  return patch;
}

const tenantJson = (t: TenantRecord, workingSessions?: number) => ({
  id: t.id,
  name: t.name,
  createTime: formatTimestamp(t.createTime),
  maxWorkingSessions: t.maxWorkingSessions,
  rateLimitPerMinute: t.rateLimitPerMinute,
  ...(workingSessions !== undefined ? { workingSessions } : {}),
});

const keyJson = (k: ApiKeyRecord, rateLimitPerMinute: number | null) => ({
  id: k.id,
  tenant: k.tenantId,
  name: k.name,
  role: k.role,
  revoked: k.revoked,
  createTime: formatTimestamp(k.createTime),
  rateLimitPerMinute,
});

function pageSize(raw: unknown): number {
  if (raw === undefined || raw === '') return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw invalidArgument('pageSize must be a whole number >= 0.');
  return n === 0 ? 50 : Math.min(n, 500);
}

export async function adminApi(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { store, secrets, limiter } = deps;
  const sec = store.security;
  const tenantOr404 = async (id: string) => {
    const t = TENANT_ID.test(id) ? await sec.getTenant(id) : undefined;
    if (!t) throw notFound(`Tenant '${id}' was not found.`);
    return t;
  };

  app.get(
    '/v1alpha/admin/tenants',
    op('admin.tenants.list', 'List tenants with their limits and working sessions'),
    async (req) => {
      admin(req);
      const tenants = await sec.listTenants();
      return {
        tenants: await Promise.all(
          tenants.map(async (t) => tenantJson(t, await sec.countWorkingSessions(t.id))),
        ),
      };
    },
  );

  app.post(
    '/v1alpha/admin/tenants',
    op('admin.tenants.create', 'Create a tenant', {
      body: Type.Object({ id: Type.String(), ...tenantFields }),
    }),
    async (req) => {
      admin(req);
      const b = body(req);
      const id = b.id;
      if (typeof id !== 'string' || !TENANT_ID.test(id)) {
        throw invalidArgument(
          "id must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit.",
        );
      }
      const patch = tenantPatch(b);
      if (!(await sec.createTenant({ id, name: patch.name ?? id }))) {
        throw new StintError('ALREADY_EXISTS', `Tenant '${id}' already exists.`);
      }
      await sec.updateTenant(id, patch);
      limiter.invalidate();
      return tenantJson(await tenantOr404(id), 0);
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1alpha/admin/tenants/:tenant',
    op('admin.tenants.get', 'Get a tenant', { params: tenantParam }),
    async (req) => {
      admin(req);
      const t = await tenantOr404(req.params.tenant);
      return tenantJson(t, await sec.countWorkingSessions(t.id));
    },
  );

  app.patch<{ Params: { tenant: string } }>(
    '/v1alpha/admin/tenants/:tenant',
    op('admin.tenants.update', "Change a tenant's name or limits", {
      params: tenantParam,
      body: Type.Object(tenantFields),
    }),
    async (req) => {
      admin(req);
      const patch = tenantPatch(body(req));
      await tenantOr404(req.params.tenant);
      await sec.updateTenant(req.params.tenant, patch);
      limiter.invalidate();
      return tenantJson(await tenantOr404(req.params.tenant));
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1alpha/admin/keys',
    op('admin.keys.list', 'List API keys (never the keys themselves)', {
      querystring: query({ tenant: 'Only this tenant.' }),
    }),
    async (req) => {
      admin(req);
      const tenant =
        typeof req.query.tenant === 'string' && req.query.tenant !== '' ? req.query.tenant : undefined;
      const keys = await store.listApiKeys(tenant);
      return {
        keys: await Promise.all(
          keys.map(async (k) => keyJson(k, (await sec.rateLimits(k.id, k.tenantId)).key)),
        ),
      };
    },
  );

  app.post(
    '/v1alpha/admin/keys',
    op('admin.keys.create', 'Create an API key; the answer shows it once', {
      body: Type.Object({
        tenant: Type.Optional(Type.String()),
        name: Type.Optional(Type.String()),
        role: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('admin')])),
        rateLimitPerMinute: limit('Requests per minute for the key'),
      }),
    }),
    async (req) => {
      admin(req);
      const b = body(req);
      const tenant = optString(b, 'tenant') ?? 'default';
      const role = b.role ?? 'member';
      if (role !== 'member' && role !== 'admin') throw invalidArgument('role must be member or admin.');
      const rate = optLimit(b, 'rateLimitPerMinute');
      if (tenant === 'default') await store.ensureTenant(tenant, tenant);
      await tenantOr404(tenant);
      const key = generateApiKey();
      const rec = await registerApiKey(store, key, {
        name: optString(b, 'name') ?? 'api',
        role,
        tenantId: tenant,
      });
      if (rate !== undefined) await sec.setKeyRateLimit(rec.id, rate);
      limiter.invalidate();
      // The key itself is shown here once; only its hash is stored.
      return { key, ...keyJson(rec, rate ?? null) };
    },
  );

  app.patch<{ Params: { id: string } }>(
    '/v1alpha/admin/keys/:id',
    op(
      'admin.keys.update',
      "Set a key's rate limit",
      {
        params: keyParam,
        body: Type.Object({ rateLimitPerMinute: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) }),
      },
      true,
    ),
    async (req) => {
      admin(req);
      const rate = optLimit(body(req), 'rateLimitPerMinute');
      if (rate === undefined)
        throw invalidArgument('rateLimitPerMinute is required (a number, or null for the default).');
      if (!(await sec.setKeyRateLimit(req.params.id, rate)))
        throw notFound(`Key '${req.params.id}' was not found.`);
      limiter.invalidate();
      return {};
    },
  );

  // Parsed as it always was: the id is what precedes the first colon (`a:b:revoke` is method `b`).
  const revoke = async (req: FastifyRequest, idVerb: string) => {
    const who = admin(req);
    const [id, verb] = idVerb.split(':') as [string, string | undefined];
    if (verb !== 'revoke') throw notFound(`Unknown method '${verb ?? ''}' on keys; expected revoke.`);
    if (id === who.keyId) throw new StintError('FAILED_PRECONDITION', 'A key cannot revoke itself.');
    if (!(await store.revokeApiKey(id))) throw notFound(`Key '${id}' was not found.`);
    deps.auth?.forgetKeys();
    return {};
  };
  app.post<{ Params: { id: string } }>(
    methodUrl('/v1alpha/admin/keys', 'revoke'),
    op('admin.keys.revoke', 'Revoke a key', { params: keyParam, body: Type.Object({}) }, true),
    (req) => revoke(req, `${req.params.id}:revoke`),
  );
  app.post<{ Params: { idVerb: string } }>('/v1alpha/admin/keys/:idVerb', { schema: { hide: true } }, (req) =>
    revoke(req, req.params.idVerb),
  );

  app.get<{ Params: { tenant: string }; Querystring: { source?: string } }>(
    '/v1alpha/admin/tenants/:tenant/secrets',
    op('admin.secrets.list', "List a tenant's secrets (names only)", {
      params: tenantParam,
      querystring: query({ source: 'Only secrets of this source.' }),
    }),
    async (req) => {
      admin(req);
      await tenantOr404(req.params.tenant);
      const source =
        typeof req.query.source === 'string' ? req.query.source.replace(/^sources\//, '') : undefined;
      const rows = await secrets.list(req.params.tenant, source);
      return {
        secrets: rows.map((s) => ({
          name: s.name,
          ...(s.sourceId ? { source: `sources/${s.sourceId}` } : {}),
          createTime: formatTimestamp(s.createTime),
          updateTime: formatTimestamp(s.updateTime),
        })),
      };
    },
  );

  app.put<{ Params: { tenant: string; name: string } }>(
    '/v1alpha/admin/tenants/:tenant/secrets/:name',
    op(
      'admin.secrets.set',
      'Set a secret (stored encrypted)',
      {
        params: secretParams,
        body: Type.Object({
          value: Type.String(),
          source: Type.Optional(Type.String({ description: 'Scope it to a source.' })),
        }),
      },
      true,
    ),
    async (req) => {
      admin(req);
      const b = body(req);
      const value = b.value;
      if (typeof value !== 'string') throw invalidArgument('value is required (a string).');
      const source = (optString(b, 'source', 400) ?? '').replace(/^sources\//, '');
      await tenantOr404(req.params.tenant);
      await secrets.set(req.params.tenant, source, req.params.name, value);
      return {};
    },
  );

  app.delete<{ Params: { tenant: string; name: string }; Querystring: { source?: string } }>(
    '/v1alpha/admin/tenants/:tenant/secrets/:name',
    op(
      'admin.secrets.delete',
      'Delete a secret',
      { params: secretParams, querystring: query({ source: 'The source it is scoped to.' }) },
      true,
    ),
    async (req) => {
      admin(req);
      const source = typeof req.query.source === 'string' ? req.query.source.replace(/^sources\//, '') : '';
      if (!(await secrets.delete(req.params.tenant, source, req.params.name))) {
        throw notFound(`Secret '${req.params.name}' was not found.`);
      }
      return {};
    },
  );

  app.get<{ Querystring: Record<string, string> }>(
    '/v1alpha/admin/auditLog',
    op('admin.auditLog.list', 'The audit log, newest first', {
      querystring: Type.Object({
        tenant: Type.Optional(Type.String({ description: 'Only this tenant.' })),
        pageSize: Type.Optional(Type.Integer({ description: '1-500 (default 50).' })),
        pageToken: Type.Optional(Type.String({ description: 'nextPageToken of the previous page.' })),
      }),
    }),
    async (req) => {
      admin(req);
      const limit = pageSize(req.query.pageSize);
      let beforeId: number | undefined;
      if (req.query.pageToken) {
        const m = /^a(\d{1,15})$/.exec(
          Buffer.from(String(req.query.pageToken), 'base64url').toString('utf8'),
        );
        if (!m) throw invalidArgument('pageToken is not valid; start again without it.');
        beforeId = Number(m[1]);
      }
      const tenant =
        typeof req.query.tenant === 'string' && req.query.tenant !== '' ? req.query.tenant : undefined;
      const rows = await sec.listAudit({
        limit: limit + 1,
        ...(tenant ? { tenantId: tenant } : {}),
        ...(beforeId !== undefined ? { beforeId } : {}),
      });
      const items = rows.slice(0, limit);
      const res: Record<string, unknown> = {
        entries: items.map((e) => ({ ...e, time: formatTimestamp(e.time) })),
      };
      const last = items.at(-1);
      if (rows.length > limit && last) res.nextPageToken = Buffer.from(`a${last.id}`).toString('base64url');
      return res;
    },
  );
}
