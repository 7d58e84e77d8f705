/**
 * GET /openapi.json is generated from the routes, validates as OpenAPI 3.1 (a maintained validator
 * and a structural check) and matches the served routes; /docs renders it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { servedRoutes } from '../../src/api/route-list.ts';
import { asJson, CreateSessionBody, CreateWebhookBody, SendMessageBody } from '../../src/api/schemas.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SCHEMA_KEYWORDS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'oneOf',
  'anyOf',
  'allOf',
  'description',
  'maxLength',
  'minLength',
  'maxItems',
  'minItems',
  'format',
  'examples',
  'additionalProperties',
  'minimum',
  'maximum',
  'const',
  'patternProperties',
]);
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean', 'null']);

/** Checks a JSON schema (2020-12 subset we use) and collects its $refs. */
function checkSchema(s: unknown, where: string, refs: string[]): void {
  assert.ok(s && typeof s === 'object' && !Array.isArray(s), `${where}: a schema is an object`);
  for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
    assert.ok(SCHEMA_KEYWORDS.has(k), `${where}: unknown keyword ${k}`);
    if (k === '$ref') refs.push(v as string);
    if (k === 'type')
      for (const t of [v].flat()) assert.ok(TYPES.has(t as string), `${where}: type ${String(t)}`);
    if (k === 'properties')
      for (const [p, ps] of Object.entries(v as object)) checkSchema(ps, `${where}.${p}`, refs);
    if (k === 'items') checkSchema(v, `${where}[]`, refs);
    if (k === 'patternProperties')
      for (const [p, ps] of Object.entries(v as object)) checkSchema(ps, `${where}/${p}`, refs);
    if (k === 'oneOf' || k === 'anyOf' || k === 'allOf')
      for (const [i, x] of (v as unknown[]).entries()) checkSchema(x, `${where}/${k}${i}`, refs);
    if (k === 'required')
      assert.ok(Array.isArray(v) && v.every((r) => typeof r === 'string'), `${where}: required`);
    if (k === 'enum') assert.ok(Array.isArray(v) && v.length > 0, `${where}: enum`);
  }
}

/** Structural validation of an OpenAPI 3.1 document: required members, operations, parameters, $refs. */
function validateOpenApi(doc: any): void {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  assert.ok(doc.servers?.every((s: any) => typeof s.url === 'string'));
  const refs: string[] = [];
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, any>)) {
    assert.ok(path.startsWith('/'), path);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item as Record<string, any>)) {
      assert.ok(METHODS.includes(method), `${path}: ${method}`);
      assert.ok(!ids.has(op.operationId), `unique operationId ${op.operationId}`);
      ids.add(op.operationId);
      const params = (op.parameters ?? []) as any[];
      for (const p of params) {
        assert.ok(['path', 'query', 'header', 'cookie'].includes(p.in), `${op.operationId}: ${p.name} in`);
        if (p.in === 'path') assert.equal(p.required, true);
        checkSchema(p.schema, `${op.operationId}.${p.name}`, refs);
      }
      assert.deepEqual(
        params
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
        [...templated].sort(),
        `${op.operationId}: path parameters match the template`,
      );
      const names = params.map((p) => `${p.in}:${p.name}`);
      assert.equal(new Set(names).size, names.length, `${op.operationId}: no duplicate parameters`);
      if (op.requestBody) {
        for (const media of Object.values(op.requestBody.content) as any[])
          checkSchema(media.schema, `${op.operationId} body`, refs);
      }
      assert.ok(Object.keys(op.responses).length > 0);
      for (const [code, r] of Object.entries(op.responses as Record<string, any>)) {
        assert.ok(code === 'default' || /^[1-5]\d\d$/.test(code), `${op.operationId}: ${code}`);
        assert.equal(typeof r.description, 'string');
        for (const media of Object.values(r.content ?? {}) as any[])
          checkSchema(media.schema, `${op.operationId} ${code}`, refs);
      }
      for (const sec of op.security ?? doc.security ?? []) {
        for (const name of Object.keys(sec))
          assert.ok(doc.components.securitySchemes[name], `security scheme ${name}`);
      }
    }
  }
  for (const [name, s] of Object.entries(doc.components.schemas))
    checkSchema(s, `#/components/schemas/${name}`, refs);
  for (const ref of refs) {
    const m = /^#\/components\/schemas\/(\w+)$/.exec(ref);
    assert.ok(m && doc.components.schemas[m[1]!], `$ref ${ref} resolves`);
  }
}

/** A Fastify route URL as an OpenAPI path: `/sessions/:id(.+)::cancel` -> `/sessions/{id}:cancel`. */
const openApiPath = (url: string) =>
  url
    .replace(/\([^)]*\)/g, '')
    .replace(/::/g, '\0')
    .replace(/:(\w+)/g, '{$1}')
    .replace(/\0/g, ':');

/** Every documented operation as [method, path]. */
const operations = (doc: any): [string, string][] =>
  Object.entries(doc.paths as Record<string, object>).flatMap(([path, item]) =>
    Object.keys(item).map((method): [string, string] => [method, path]),
  );

const concrete = (path: string) =>
  path
    .replace('{provider}/{owner}/{repo}', 'github/acme/widgets')
    .replace(/\{(\w+)\}/g, (_, n) => (n === 'id' ? '1234' : 'x1'));

describe('OpenAPI document', () => {
  let server: InProcessServer;
  let doc: any;
  before(async () => {
    server = await startInProcess({ flags: { worker: false } });
    const res = await fetch(`${server.origin}/openapi.json`);
    assert.equal(res.status, 200, 'served without a key');
    doc = await res.json();
  });
  after(async () => {
    await server?.close();
  });

  test('validates as OpenAPI 3.1 (@seriousme/openapi-schema-validator) and structurally', async () => {
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1));
    assert.equal(doc.openapi, '3.1.0');
    validateOpenApi(doc);
    assert.equal(doc.servers[0].url, server.origin);
  });

  test('documents exactly the served API routes, with the schemas that validate requests', async () => {
    const served = servedRoutes(server.stint.app).filter(
      (r) =>
        !r.hidden &&
        (r.url.startsWith('/v1alpha') || ['/healthz', '/metrics', '/openapi.json', '/docs'].includes(r.url)),
    );
    const key = (m: string, p: string) => `${m.toUpperCase()} ${p}`;
    assert.deepEqual(
      [...new Set(served.map((r) => key(r.method, openApiPath(r.url))))].sort(),
      operations(doc)
        .map(([m, p]) => key(m, p))
        .sort(),
    );
    // Body schemas are the very objects the routes validate with.
    const bodyOf = (m: string, u: string) => served.find((r) => r.method === m && r.url === u)?.bodySchema;
    assert.equal(bodyOf('POST', '/v1alpha/sessions'), CreateSessionBody);
    assert.equal(bodyOf('POST', '/v1alpha/webhooks'), CreateWebhookBody);
    const bodyDoc = (p: string) => doc.paths[p].post.requestBody.content['application/json'].schema;
    assert.deepEqual(bodyDoc('/v1alpha/sessions'), asJson(CreateSessionBody));
    assert.deepEqual(bodyDoc('/v1alpha/sessions/{id}:sendMessage'), asJson(SendMessageBody));
    // Every documented operation reaches a handler (custom methods included): no "no route"/"unknown method".
    for (const [method, path] of operations(doc)) {
      if (path.endsWith(':stream')) continue; // streams hold the connection; routed as checked above
      const res = await server.stint.app.inject({
        method: method.toUpperCase() as 'GET',
        url: concrete(path),
        headers: { 'x-goog-api-key': server.apiKey, 'content-type': 'application/json' },
        payload: method === 'get' || method === 'delete' ? undefined : '{}',
      });
      const msg = res.headers['content-type']?.includes('json') ? (res.json().error?.message ?? '') : '';
      assert.doesNotMatch(msg, /No route|Unknown method/, `${method} ${path}: ${msg}`);
    }
  });

  test('a request the schema rejects names the field', async () => {
    const res = await fetch(`${server.baseUrl}/sessions`, {
      method: 'POST',
      headers: { 'x-goog-api-key': server.apiKey, 'content-type': 'application/json' },
      body: '{"title":"x"}',
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /prompt is required/);
    const msg = await fetch(`${server.baseUrl}/sessions/1234:sendMessage`, {
      method: 'POST',
      headers: { 'x-goog-api-key': server.apiKey, 'content-type': 'application/json' },
      body: '{"prompt":5}',
    });
    assert.equal(msg.status, 400);
    assert.equal(((await msg.json()) as any).error.message, "Invalid value at 'prompt': must be a string.");
  });

  test('/docs is an HTML reference of every operation', async () => {
    const res = await fetch(`${server.origin}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    for (const [, path] of operations(doc)) assert.ok(html.includes(`<code>${path}</code>`), path);
    assert.ok(html.includes('session.completed'));
  });
});
