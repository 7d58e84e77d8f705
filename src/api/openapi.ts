/**
 * GET /openapi.json: the OpenAPI 3.1 document, built from the operation catalogue and the same
 * JSON schemas that validate requests; GET /docs: a reference page rendered from it. Both are
 * public (no key): they describe the API, not anyone's data.
 */
import type { FastifyInstance } from 'fastify';
import { renderDocsPage } from './docs-page.ts';
import { OPERATIONS, type Operation } from './openapi-operations.ts';
import { listSchema, resourceSchemas } from './schemas.ts';

export const API_VERSION = '0.1.0';

const TAGS = [
  {
    name: 'sessions',
    description: 'Coding-agent sessions (the Jules v1alpha contract, plus :pause, :resume, :cancel).',
  },
  { name: 'activities', description: 'What happened in a session, oldest first.' },
  { name: 'streams', description: 'Live server-sent-event streams, resumable with Last-Event-ID.' },
  { name: 'sources', description: 'Repositories sessions can work on.' },
  {
    name: 'webhooks',
    description: 'Signed webhooks (Standard Webhooks), retried for at least 24 h, with a delivery log.',
  },
  { name: 'admin', description: 'Tenants, keys, secrets and the audit log (admin keys only).' },
  { name: 'operations', description: 'Health, metrics and this document.' },
];

const ERROR_RESPONSE = {
  description: 'Error: {"error":{"code","message","status","details"}} with a Google status name.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

function operationObject(op: Operation): Record<string, unknown> {
  const parameters = (op.params ?? []).map((p) => ({
    name: p.name,
    in: p.in,
    required: p.in === 'path' ? true : (p.required ?? false),
    description: p.description,
    schema: p.schema ?? { type: 'string' },
  }));
  if (op.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Up to 255 printable ASCII characters, scoped to your tenant for 24 h: a retry with the same key and body returns the first response (Idempotent-Replayed: true); while the first is still running, a duplicate waits for it or gets 409 ABORTED.',
      schema: { type: 'string' },
    });
  }
  const schema =
    typeof op.response.schema === 'string'
      ? { $ref: `#/components/schemas/${op.response.schema}` }
      : op.response.schema;
  const out: Record<string, unknown> = {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
  };
  if (op.description) out.description = op.description;
  if (parameters.length) out.parameters = parameters;
  if (op.body) out.requestBody = { required: true, content: { 'application/json': { schema: op.body } } };
  const responses: Record<string, unknown> = {
    '200': {
      description: op.response.description ?? 'OK',
      content: { [op.response.contentType ?? 'application/json']: { schema: schema ?? {} } },
    },
    default: ERROR_RESPONSE,
  };
  if (op.operationId === 'activities.stream')
    responses['204'] = { description: 'The stream had already ended (resumed after the terminal activity).' };
  out.responses = responses;
  if (op.auth === 'none') out.security = [];
  return out;
}

export function buildOpenApiDocument(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    paths[op.path]![op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Stint API',
      version: API_VERSION,
      description:
        "The Jules REST API v1alpha as Stint serves it, with Stint's additions: live streams, webhooks, pause/resume/cancel, idempotent POSTs and metrics. Authenticate with an API key in X-Goog-Api-Key or Authorization: Bearer.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: serverUrl }],
    tags: TAGS,
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Goog-Api-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        ...resourceSchemas,
        ListSessionsResponse: listSchema('sessions', 'Session'),
        ListActivitiesResponse: listSchema('activities', 'Activity'),
        ListSourcesResponse: listSchema('sources', 'Source'),
        ListWebhooksResponse: listSchema('webhooks', 'Webhook'),
        ListDeliveriesResponse: listSchema('deliveries', 'WebhookDelivery'),
      },
    },
  };
}

export function openApiRoutes(app: FastifyInstance, publicUrl: () => string): void {
  let cached: { url: string; json: string; html: string } | undefined;
  const current = () => {
    const url = publicUrl();
    if (!cached || cached.url !== url) {
      const doc = buildOpenApiDocument(url);
      cached = { url, json: JSON.stringify(doc), html: renderDocsPage(doc) };
    }
    return cached;
  };
  app.get('/openapi.json', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send(current().json),
  );
  app.get('/docs', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(current().html),
  );
}
