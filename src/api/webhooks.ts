/**
 * webhooks: endpoints of the caller's tenant (create, list, get, patch, delete, :rotateSecret,
 * :test) and each endpoint's delivery log (list, get with every attempt, :redeliver).
 */
import type { FastifyInstance } from 'fastify';
import { invalidArgument, notFound } from '../domain/errors.ts';
import type { DeliveryStatus } from '../store/webhook-store.ts';
import type { WebhookService } from '../webhooks/webhook-service.ts';
import type { ApiContext } from './context.ts';
import { fieldKey, parseFilter } from './filter.ts';
import { parsePageSize, splitPage } from './paging.ts';
import { createWebhookBody, updateWebhookBody } from './schemas.ts';
import { strictBody } from './strict-body.ts';
import { attemptResource, deliveryResource, webhookResource } from './webhook-resources.ts';

type Body = Record<string, unknown>;

function splitVerb(idVerb: string, what: string): { id: string; verb: string } {
  const at = idVerb.lastIndexOf(':');
  if (at <= 0) throw notFound(`No route for POST ${what}/${idVerb}.`);
  return { id: idVerb.slice(0, at), verb: idVerb.slice(at + 1) };
}

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

export function webhookRoutes(app: FastifyInstance, ctx: ApiContext, webhooks: WebhookService): void {
  app.post<{ Body: Body }>(
    '/v1alpha/webhooks',
    { schema: { body: createWebhookBody }, preValidation: strictBody(createWebhookBody) },
    async (req) => {
      return webhookResource(await webhooks.create(req.principal.tenantId, req.body), true);
    },
  );

  app.get<{ Querystring: Record<string, string> }>('/v1alpha/webhooks', async (req) => {
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
  });

  app.get<{ Params: { id: string } }>('/v1alpha/webhooks/:id', async (req) => {
    return webhookResource(await webhooks.get(req.principal.tenantId, req.params.id));
  });

  app.patch<{ Params: { id: string }; Body: Body }>(
    '/v1alpha/webhooks/:id',
    { schema: { body: updateWebhookBody }, preValidation: strictBody(updateWebhookBody) },
    async (req) => webhookResource(await webhooks.update(req.principal.tenantId, req.params.id, req.body)),
  );

  app.delete<{ Params: { id: string } }>('/v1alpha/webhooks/:id', async (req) => {
    await webhooks.delete(req.principal.tenantId, req.params.id);
    return {};
  });

  app.post<{ Params: { idVerb: string } }>('/v1alpha/webhooks/:idVerb', async (req) => {
    const { id, verb } = splitVerb(req.params.idVerb, '/v1alpha/webhooks');
    const tenantId = req.principal.tenantId;
    switch (verb) {
      case 'rotateSecret':
        return webhookResource(await webhooks.rotateSecret(tenantId, id), true);
      case 'test':
        return deliveryResource(await webhooks.sendTest(tenantId, id));
      default:
        throw notFound(`Unknown method '${verb}' on webhooks; expected rotateSecret or test.`);
    }
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1alpha/webhooks/:id/deliveries',
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

  app.get<{ Params: { id: string; did: string } }>('/v1alpha/webhooks/:id/deliveries/:did', async (req) => {
    const d = await webhooks.getDelivery(req.principal.tenantId, req.params.id, req.params.did);
    return {
      ...deliveryResource(d.delivery),
      payload: JSON.parse(d.payload) as unknown,
      attemptLog: d.attempts.map(attemptResource),
    };
  });

  app.post<{ Params: { id: string; didVerb: string } }>(
    '/v1alpha/webhooks/:id/deliveries/:didVerb',
    async (req) => {
      const { id, verb } = splitVerb(req.params.didVerb, `/v1alpha/webhooks/${req.params.id}/deliveries`);
      if (verb !== 'redeliver') throw notFound(`Unknown method '${verb}' on deliveries; expected redeliver.`);
      return deliveryResource(await webhooks.redeliver(req.principal.tenantId, req.params.id, id));
    },
  );
}
