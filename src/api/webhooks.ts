/**
 * webhooks: endpoints of the caller's tenant (create, list, get, patch, delete, :rotateSecret,
 * :test) and each endpoint's delivery log (list, get with every attempt, :redeliver).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalidArgument } from '../domain/errors.ts';
import type { DeliveryStatus } from '../store/webhook-store.ts';
import type { WebhookService } from '../webhooks/webhook-service.ts';
import type { ApiContext } from './context.ts';
import { catchAllMethods, methodUrl, splitVerb, unknownMethod } from './custom-methods.ts';
import { fieldKey, parseFilter } from './filter.ts';
import { parsePageSize, splitPage } from './paging.ts';
import {
  EmptyResource,
  ListDeliveriesResponse,
  ListWebhooksResponse,
  ref,
  WebhookDeliveryResource,
  WebhookResource,
} from './resource-schemas.ts';
import { answers, docsOnly, idempotencyHeaders, pageParams, pathParams } from './route-docs.ts';
import { CreateWebhookBody, EmptyBody, UpdateWebhookBody, type UpdateWebhookRequest } from './schemas.ts';
import { strictBody } from './strict-body.ts';
import { attemptResource, deliveryResource, webhookResource } from './webhook-resources.ts';

type Body = Record<string, unknown>;

const WEBHOOKS = '/v1alpha/webhooks';
const DELIVERIES = '/v1alpha/webhooks/:id/deliveries';
const wid = { id: 'The webhook id.' };
const did = { did: 'The delivery id.' };
const tagged = (
  operationId: string,
  summary: string,
  response: Record<string, unknown>,
  description?: string,
) => ({
  operationId,
  tags: ['webhooks'],
  summary,
  ...(description ? { description } : {}),
  response,
});

function deliveryFilter(text: unknown): DeliveryStatus | undefined {
  let status: DeliveryStatus | undefined;
  for (const c of parseFilter(text)) {
    const value = c.value.toLowerCase();
    if (fieldKey(c.field) !== 'status' || c.op !== '=') {
      throw invalidArgument(`filter: only 'status = PENDING|SUCCEEDED|FAILED' is supported.`);
    }
    if (value !== 'pending' && value !== 'succeeded' && value !== 'failed') {
      throw invalidArgument(`filter: unknown status '${c.value}'.`);
    }
    status = value;
  }
  return status;
}

export async function webhooksApi(
  root: FastifyInstance,
  { ctx, webhooks }: { ctx: ApiContext; webhooks: WebhookService },
): Promise<void> {
  // Bodies typed from their schemas (CreateWebhookRequest, UpdateWebhookRequest).
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    WEBHOOKS,
    {
      schema: {
        ...tagged(
          'webhooks.create',
          'Register a webhook endpoint',
          answers(ref(WebhookResource)),
          'The answer carries the signing secret (Standard Webhooks); store it, it is not shown again.',
        ),
        body: CreateWebhookBody,
      },
      config: docsOnly({ headers: idempotencyHeaders }),
      preValidation: strictBody(CreateWebhookBody),
    },
    async (req) => webhookResource(await webhooks.create(req.principal.tenantId, req.body), true),
  );

  app.get<{ Querystring: Record<string, string> }>(
    WEBHOOKS,
    {
      schema: tagged('webhooks.list', 'List webhook endpoints', answers(ref(ListWebhooksResponse))),
      config: docsOnly({ querystring: Type.Object(pageParams) }),
    },
    async (req) => {
      const limit = parsePageSize(req.query.pageSize, 30);
      const scope = `webhooks|${req.principal.tenantId}`;
      const afterId = ctx.tokens.decode<string>(scope, req.query.pageToken);
      const rows = await webhooks.list(req.principal.tenantId, {
        limit: limit + 1,
        ...(afterId !== undefined ? { afterId } : {}),
      });
      const { items, more } = splitPage(rows, limit);
      const res: Body = { webhooks: items.map((e) => webhookResource(e)) };
      const last = items[items.length - 1];
      if (more && last) res.nextPageToken = ctx.tokens.encode(scope, last.id);
      return res;
    },
  );

  app.get<{ Params: { id: string } }>(
    `${WEBHOOKS}/:id`,
    {
      schema: tagged('webhooks.get', 'Get a webhook endpoint', answers(ref(WebhookResource))),
      config: docsOnly({ params: pathParams(wid) }),
    },
    async (req) => webhookResource(await webhooks.get(req.principal.tenantId, req.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: UpdateWebhookRequest }>(
    `${WEBHOOKS}/:id`,
    {
      schema: {
        ...tagged(
          'webhooks.update',
          'Change a webhook endpoint (fields given replace)',
          answers(ref(WebhookResource)),
        ),
        body: UpdateWebhookBody,
      },
      config: docsOnly({ params: pathParams(wid) }),
      preValidation: strictBody(UpdateWebhookBody),
    },
    async (req) => webhookResource(await webhooks.update(req.principal.tenantId, req.params.id, req.body)),
  );

  app.delete<{ Params: { id: string } }>(
    `${WEBHOOKS}/:id`,
    {
      schema: tagged(
        'webhooks.delete',
        'Delete a webhook endpoint and its delivery log',
        answers(ref(EmptyResource)),
      ),
      config: docsOnly({ params: pathParams(wid) }),
    },
    async (req) => {
      await webhooks.delete(req.principal.tenantId, req.params.id);
      return {};
    },
  );

  // Custom methods take no parameters; their bodies are not read.
  const methodDocs = (params: Record<string, string>) =>
    docsOnly({ params: pathParams(params), headers: idempotencyHeaders, body: EmptyBody });
  app.post<{ Params: { id: string } }>(
    methodUrl(WEBHOOKS, 'rotateSecret'),
    {
      schema: tagged('webhooks.rotateSecret', 'Replace the signing secret', answers(ref(WebhookResource))),
      config: methodDocs(wid),
    },
    async (req) => webhookResource(await webhooks.rotateSecret(req.principal.tenantId, req.params.id), true),
  );
  app.post<{ Params: { id: string } }>(
    methodUrl(WEBHOOKS, 'test'),
    {
      schema: tagged(
        'webhooks.test',
        'Send a webhook.test event to this endpoint',
        answers(ref(WebhookDeliveryResource)),
      ),
      config: methodDocs(wid),
    },
    async (req) => deliveryResource(await webhooks.sendTest(req.principal.tenantId, req.params.id)),
  );
  catchAllMethods(root, WEBHOOKS, (_req, idVerb) => {
    const { verb } = splitVerb(idVerb, WEBHOOKS);
    throw unknownMethod('webhooks', verb, 'rotateSecret or test');
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    DELIVERIES,
    {
      schema: tagged(
        'webhooks.deliveries.list',
        'The delivery log of an endpoint, newest first',
        answers(ref(ListDeliveriesResponse)),
      ),
      config: docsOnly({
        params: pathParams(wid),
        querystring: Type.Object({
          ...pageParams,
          filter: Type.Optional(Type.String({ description: 'status = PENDING | SUCCEEDED | FAILED' })),
        }),
      }),
    },
    async (req) => {
      const limit = parsePageSize(req.query.pageSize, 30);
      const status = deliveryFilter(req.query.filter);
      const scope = `deliveries|${req.principal.tenantId}|${req.params.id}|${status ?? ''}`;
      const after = ctx.tokens.decode<{ t: number; id: string }>(scope, req.query.pageToken);
      const rows = await webhooks.listDeliveries(req.principal.tenantId, req.params.id, {
        limit: limit + 1,
        ...(status ? { status } : {}),
        ...(after ? { after: { createTime: after.t, id: after.id } } : {}),
      });
      const { items, more } = splitPage(rows, limit);
      const res: Body = { deliveries: items.map(deliveryResource) };
      const last = items[items.length - 1];
      if (more && last) res.nextPageToken = ctx.tokens.encode(scope, { t: last.createTime, id: last.id });
      return res;
    },
  );

  app.get<{ Params: { id: string; did: string } }>(
    `${DELIVERIES}/:did`,
    {
      schema: tagged(
        'webhooks.deliveries.get',
        'A delivery with its payload and every attempt',
        answers(ref(WebhookDeliveryResource)),
      ),
      config: docsOnly({ params: pathParams({ ...wid, ...did }) }),
    },
    async (req) => {
      const d = await webhooks.getDelivery(req.principal.tenantId, req.params.id, req.params.did);
      return {
        ...deliveryResource(d.delivery),
        payload: JSON.parse(d.payload) as unknown,
        attemptLog: d.attempts.map(attemptResource),
      };
    },
  );

  app.post<{ Params: { id: string; did: string } }>(
    methodUrl(DELIVERIES, 'redeliver', 'did'),
    {
      schema: tagged(
        'webhooks.deliveries.redeliver',
        'Send a delivery again now (same webhook-id), with a new retry window',
        answers(ref(WebhookDeliveryResource)),
      ),
      config: methodDocs({ ...wid, ...did }),
    },
    async (req) =>
      deliveryResource(await webhooks.redeliver(req.principal.tenantId, req.params.id, req.params.did)),
  );
  app.post<{ Params: { id: string; didVerb: string } }>(
    `${DELIVERIES}/:didVerb`,
    { schema: { hide: true } },
    async (req) => {
      const { verb } = splitVerb(req.params.didVerb, `${WEBHOOKS}/${req.params.id}/deliveries`);
      throw unknownMethod('deliveries', verb, 'redeliver');
    },
  );
}
