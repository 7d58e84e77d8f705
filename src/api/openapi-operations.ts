/**
 * Every operation Stint serves, for the OpenAPI document and the /docs page. `route` is the Fastify
 * route that serves it (custom methods share one `:idVerb` route); a test checks that this list
 * and the served routes agree. Request bodies are the schemas routes validate with (schemas.ts).
 */
import { ADMIN_OPERATIONS } from './openapi-admin-operations.ts';
import {
  createSessionBody,
  createWebhookBody,
  emptyBody,
  sendMessageBody,
  updateWebhookBody,
} from './schemas.ts';

export interface OperationParam {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. /v1alpha/sessions/{id}:approvePlan */
  path: string;
  /** The Fastify route serving it, e.g. /v1alpha/sessions/:idVerb */
  route: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: OperationParam[];
  body?: Record<string, unknown>;
  /** A components schema name, or an inline schema. */
  response: { schema?: string | Record<string, unknown>; contentType?: string; description?: string };
  /** apiKey (default): any key of the tenant; admin: an admin key (see STINT_METRICS); none. */
  auth?: 'apiKey' | 'admin' | 'none';
  /** Takes an Idempotency-Key header. */
  idempotent?: boolean;
}

const id = (what: string): OperationParam => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what} id.`,
});
const paging: OperationParam[] = [
  {
    name: 'pageSize',
    in: 'query',
    description: '1-100; 0 or unset: the default.',
    schema: { type: 'integer' },
  },
  { name: 'pageToken', in: 'query', description: 'nextPageToken of the previous page.' },
];
const lastEventId: OperationParam = {
  name: 'Last-Event-ID',
  in: 'header',
  description:
    'Resume exactly after this event id (EventSource sends it when reconnecting); also as ?lastEventId=.',
};

const sessionVerb = (
  verb: string,
  summary: string,
  body: Record<string, unknown>,
  response: string,
  description?: string,
): Operation => ({
  method: 'post',
  path: `/v1alpha/sessions/{id}:${verb}`,
  route: '/v1alpha/sessions/:idVerb',
  operationId: `sessions.${verb}`,
  tag: 'sessions',
  summary,
  ...(description ? { description } : {}),
  params: [id('session')],
  body,
  response: { schema: response },
  idempotent: true,
});

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/v1alpha/sources',
    route: '/v1alpha/sources',
    operationId: 'sources.list',
    tag: 'sources',
    summary: 'List sources',
    params: [
      ...paging,
      { name: 'filter', in: 'query', description: 'e.g. name=sources/github/acme/widgets' },
    ],
    response: { schema: 'ListSourcesResponse' },
  },
  {
    method: 'get',
    path: '/v1alpha/sources/{provider}/{owner}/{repo}',
    route: '/v1alpha/sources/:provider/:owner/:repo',
    operationId: 'sources.get',
    tag: 'sources',
    summary: 'Get a source',
    params: ['provider', 'owner', 'repo'].map((n) => ({
      name: n,
      in: 'path',
      required: true,
      description: `The ${n}.`,
    })),
    response: { schema: 'Source' },
  },
  {
    method: 'post',
    path: '/v1alpha/sessions',
    route: '/v1alpha/sessions',
    operationId: 'sessions.create',
    tag: 'sessions',
    summary: 'Create a session',
    description:
      'A retry with the same Idempotency-Key returns the same session instead of creating another.',
    body: createSessionBody,
    response: { schema: 'Session' },
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1alpha/sessions',
    route: '/v1alpha/sessions',
    operationId: 'sessions.list',
    tag: 'sessions',
    summary: 'List sessions, newest first',
    params: [
      ...paging,
      {
        name: 'filter',
        in: 'query',
        description: 'archived = true, state = X, source = "sources/..." (AND)',
      },
    ],
    response: { schema: 'ListSessionsResponse' },
  },
  {
    method: 'get',
    path: '/v1alpha/sessions:stream',
    route: '/v1alpha/sessions::stream',
    operationId: 'sessions.stream',
    tag: 'streams',
    summary: "Stream the tenant's session changes (server-sent events)",
    description:
      "Each event's data is a Session as GET returns it, sent when it changes; `id:` is a cursor for Last-Event-ID. Comment lines are heartbeats.",
    params: [lastEventId],
    response: {
      contentType: 'text/event-stream',
      schema: { type: 'string' },
      description: 'An endless event stream.',
    },
  },
  {
    method: 'get',
    path: '/v1alpha/sessions/{id}',
    route: '/v1alpha/sessions/:id',
    operationId: 'sessions.get',
    tag: 'sessions',
    summary: 'Get a session',
    params: [id('session')],
    response: { schema: 'Session' },
  },
  {
    method: 'delete',
    path: '/v1alpha/sessions/{id}',
    route: '/v1alpha/sessions/:id',
    operationId: 'sessions.delete',
    tag: 'sessions',
    summary: 'Delete a session (stops its work)',
    params: [id('session')],
    response: { schema: 'Empty' },
  },
  sessionVerb('approvePlan', 'Approve the plan', emptyBody, 'Empty', 'Only in AWAITING_PLAN_APPROVAL.'),
  sessionVerb('sendMessage', 'Send a message to the agent', sendMessageBody, 'Empty'),
  sessionVerb('archive', 'Archive a session', emptyBody, 'Session'),
  sessionVerb('unarchive', 'Unarchive a session', emptyBody, 'Session'),
  sessionVerb(
    'pause',
    'Pause a session (PAUSED); the agent stops at once and continues on resume',
    emptyBody,
    'Session',
  ),
  sessionVerb('resume', 'Resume a paused session', emptyBody, 'Session'),
  sessionVerb(
    'cancel',
    'Cancel a session',
    emptyBody,
    'Session',
    'Stops the agent and its commands within seconds; the session ends FAILED with a sessionFailed activity, reason "cancelled".',
  ),
  {
    method: 'get',
    path: '/v1alpha/sessions/{id}/activities',
    route: '/v1alpha/sessions/:id/activities',
    operationId: 'activities.list',
    tag: 'activities',
    summary: 'List activities, oldest first',
    params: [
      id('session'),
      ...paging,
      { name: 'filter', in: 'query', description: 'create_time>"RFC 3339 time"' },
    ],
    response: { schema: 'ListActivitiesResponse' },
  },
  {
    method: 'get',
    path: '/v1alpha/sessions/{id}/activities:stream',
    route: '/v1alpha/sessions/:id/activities::stream',
    operationId: 'activities.stream',
    tag: 'streams',
    summary: "Stream a session's activities (server-sent events)",
    description:
      'Each event: `id:` the activity id, `data:` the Activity as GET returns it. Last-Event-ID resumes exactly after that activity, across restarts. The stream ends after a terminal activity (sessionCompleted, sessionFailed); reconnecting after it answers 204 unless the session was re-opened. Comment lines are heartbeats.',
    params: [id('session'), lastEventId],
    response: {
      contentType: 'text/event-stream',
      schema: { type: 'string' },
      description: 'The event stream.',
    },
  },
  {
    method: 'get',
    path: '/v1alpha/sessions/{id}/activities/{activityId}',
    route: '/v1alpha/sessions/:id/activities/:aid',
    operationId: 'activities.get',
    tag: 'activities',
    summary: 'Get an activity',
    params: [
      id('session'),
      { name: 'activityId', in: 'path', required: true, description: 'The activity id.' },
    ],
    response: { schema: 'Activity' },
  },
  ...webhookOperations(),
  ...ADMIN_OPERATIONS,
  {
    method: 'get',
    path: '/healthz',
    route: '/healthz',
    operationId: 'health',
    tag: 'operations',
    summary: 'Health check (200 when ready)',
    response: { schema: { type: 'object', properties: { status: { type: 'string' } } } },
    auth: 'none',
  },
  {
    method: 'get',
    path: '/metrics',
    route: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    description: 'Needs an admin key unless STINT_METRICS=public.',
    response: { contentType: 'text/plain', schema: { type: 'string' } },
    auth: 'admin',
  },
  {
    method: 'get',
    path: '/openapi.json',
    route: '/openapi.json',
    operationId: 'openapi',
    tag: 'operations',
    summary: 'This OpenAPI 3.1 document',
    response: { schema: { type: 'object' } },
    auth: 'none',
  },
  {
    method: 'get',
    path: '/docs',
    route: '/docs',
    operationId: 'docs',
    tag: 'operations',
    summary: 'The API reference page',
    response: { contentType: 'text/html', schema: { type: 'string' } },
    auth: 'none',
  },
];

function webhookOperations(): Operation[] {
  const wid = id('webhook');
  const did: OperationParam = {
    name: 'deliveryId',
    in: 'path',
    required: true,
    description: 'The delivery id.',
  };
  return [
    {
      method: 'post',
      path: '/v1alpha/webhooks',
      route: '/v1alpha/webhooks',
      operationId: 'webhooks.create',
      tag: 'webhooks',
      summary: 'Register a webhook endpoint',
      description:
        'The answer carries the signing secret (Standard Webhooks); store it, it is not shown again.',
      body: createWebhookBody,
      response: { schema: 'Webhook' },
      idempotent: true,
    },
    {
      method: 'get',
      path: '/v1alpha/webhooks',
      route: '/v1alpha/webhooks',
      operationId: 'webhooks.list',
      tag: 'webhooks',
      summary: 'List webhook endpoints',
      params: paging,
      response: { schema: 'ListWebhooksResponse' },
    },
    {
      method: 'get',
      path: '/v1alpha/webhooks/{id}',
      route: '/v1alpha/webhooks/:id',
      operationId: 'webhooks.get',
      tag: 'webhooks',
      summary: 'Get a webhook endpoint',
      params: [wid],
      response: { schema: 'Webhook' },
    },
    {
      method: 'patch',
      path: '/v1alpha/webhooks/{id}',
      route: '/v1alpha/webhooks/:id',
      operationId: 'webhooks.update',
      tag: 'webhooks',
      summary: 'Change a webhook endpoint (fields given replace)',
      params: [wid],
      body: updateWebhookBody,
      response: { schema: 'Webhook' },
    },
    {
      method: 'delete',
      path: '/v1alpha/webhooks/{id}',
      route: '/v1alpha/webhooks/:id',
      operationId: 'webhooks.delete',
      tag: 'webhooks',
      summary: 'Delete a webhook endpoint and its delivery log',
      params: [wid],
      response: { schema: 'Empty' },
    },
    ...(['rotateSecret', 'test'] as const).map(
      (verb): Operation => ({
        method: 'post',
        path: `/v1alpha/webhooks/{id}:${verb}`,
        route: '/v1alpha/webhooks/:idVerb',
        operationId: `webhooks.${verb}`,
        tag: 'webhooks',
        summary:
          verb === 'test' ? 'Send a webhook.test event to this endpoint' : 'Replace the signing secret',
        params: [wid],
        body: emptyBody,
        response: { schema: verb === 'test' ? 'WebhookDelivery' : 'Webhook' },
        idempotent: true,
      }),
    ),
    {
      method: 'get',
      path: '/v1alpha/webhooks/{id}/deliveries',
      route: '/v1alpha/webhooks/:id/deliveries',
      operationId: 'webhooks.deliveries.list',
      tag: 'webhooks',
      summary: 'The delivery log of an endpoint, newest first',
      params: [
        wid,
        ...paging,
        { name: 'filter', in: 'query', description: 'status = PENDING | SUCCEEDED | FAILED' },
      ],
      response: { schema: 'ListDeliveriesResponse' },
    },
    {
      method: 'get',
      path: '/v1alpha/webhooks/{id}/deliveries/{deliveryId}',
      route: '/v1alpha/webhooks/:id/deliveries/:did',
      operationId: 'webhooks.deliveries.get',
      tag: 'webhooks',
      summary: 'A delivery with its payload and every attempt',
      params: [wid, did],
      response: { schema: 'WebhookDelivery' },
    },
    {
      method: 'post',
      path: '/v1alpha/webhooks/{id}/deliveries/{deliveryId}:redeliver',
      route: '/v1alpha/webhooks/:id/deliveries/:didVerb',
      operationId: 'webhooks.deliveries.redeliver',
      tag: 'webhooks',
      summary: 'Send a delivery again now (same webhook-id), with a new retry window',
      params: [wid, did],
      body: emptyBody,
      response: { schema: 'WebhookDelivery' },
      idempotent: true,
    },
  ];
}
