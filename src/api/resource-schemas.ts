/**
 * What the API returns, declared once with TypeBox: shared schemas (`$id`) the routes' response
 * schemas reference and the OpenAPI document publishes under #/components/schemas, and the types
 * the CLI client reads responses with. Documentation only: responses are not re-serialised through
 * them (the API's serializer is JSON.stringify), so they can never drop a field.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { ACTIVITY_KINDS } from '../domain/activity.ts';
import { ERROR_REASONS } from '../domain/errors.ts';
import { AUTOMATION_MODES, WIRE_SESSION_STATES } from '../domain/states.ts';
import { EVENT_TYPE_NAMES } from '../webhooks/event-types.ts';
import { CreateSessionBody, EventTypes, stringEnum } from './schemas.ts';

const opt = Type.Optional;
const str = (o: { description?: string; examples?: string[] } = {}) => Type.String(o);
const timestamp = () =>
  Type.String({ format: 'date-time', description: 'RFC 3339 UTC, 6 fractional digits.' });

type Shared<T extends TSchema> = T & { $id: string };

/** A shared schema: published under #/components/schemas/{id}, referenced with `ref`. */
const shared = <T extends TSchema>(id: string, schema: T): Shared<T> => Object.assign(schema, { $id: id });

/** A reference to a shared schema by its `$id`, typed as what it refers to. */
export const ref = <T extends TSchema>(schema: T & { $id: string }) =>
  Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });

const GitPatch = Type.Object({
  baseCommitId: opt(str()),
  unidiffPatch: opt(str()),
  suggestedCommitMessage: opt(str()),
});
const ChangeSet = Type.Object({ source: opt(str()), gitPatch: opt(GitPatch) });
const PullRequest = Type.Object({
  url: opt(str()),
  title: opt(str()),
  description: opt(str()),
  baseRef: opt(str()),
  headRef: opt(str()),
});
const PushedBranch = Type.Object(
  { name: opt(str()), commitId: opt(str()), remote: opt(str()) },
  {
    description:
      "Stint's addition beside changeSet: the branch AUTO_CREATE_PR pushed (holding that change set).",
  },
);

const Repo = (description: string) =>
  Type.Object(
    {
      owner: opt(str()),
      repo: opt(str()),
      isPrivate: opt(Type.Boolean()),
      defaultBranch: opt(Type.Object({ displayName: opt(str()) })),
      branches: opt(Type.Array(Type.Object({ displayName: opt(str()) }))),
    },
    { description },
  );

export const ErrorInfo = Type.Object(
  {
    '@type': Type.Literal('type.googleapis.com/google.rpc.ErrorInfo'),
    reason: stringEnum(ERROR_REASONS, { description: 'What went wrong, for clients to switch on.' }),
    domain: Type.Literal('stint.dev'),
    metadata: opt(Type.Record(Type.String(), Type.String())),
  },
  { description: 'google.rpc.ErrorInfo: the machine-readable cause (see the README for the reasons).' },
);

export const ErrorResource = shared(
  'Error',
  Type.Object({
    error: Type.Object({
      code: Type.Integer(),
      message: str(),
      status: str(),
      details: opt(Type.Array(ErrorInfo)),
    }),
  }),
);

export const EmptyResource = shared('Empty', Type.Object({}, { description: 'An empty object, {}.' }));

export const SourceResource = shared(
  'Source',
  Type.Object({
    name: str({ examples: ['sources/github/acme/widgets'] }),
    id: str(),
    githubRepo: Repo(
      'On every source, whatever its host (the official SDK rejects sources without it): owner and repo from the id.',
    ),
    provider: opt(
      str({ description: "Stint's addition: the kind of provider serving the source (git, github, ...)." }),
    ),
    gitRepo: opt(Repo("Stint's addition, on sources outside github/: the same fields as githubRepo.")),
  }),
);

const Usage = Type.Object(
  {
    model: opt(str()),
    modelTurns: opt(Type.Integer()),
    inputTokens: opt(Type.Integer()),
    outputTokens: opt(Type.Integer()),
    totalTokens: opt(Type.Integer()),
    cachedInputTokens: opt(Type.Integer()),
    costUsd: opt(Type.Number()),
  },
  {
    description:
      "Stint's addition: the agent's cumulative model usage, once a model-backed agent reports it.",
  },
);

export const SessionResource = shared(
  'Session',
  Type.Object({
    name: str({ examples: ['sessions/1234567890123456789'] }),
    id: str(),
    prompt: str(),
    title: opt(str()),
    sourceContext: CreateSessionBody.properties.sourceContext,
    requirePlanApproval: opt(Type.Boolean()),
    automationMode: opt(stringEnum(AUTOMATION_MODES)),
    createTime: timestamp(),
    updateTime: opt(timestamp()),
    state: stringEnum(WIRE_SESSION_STATES, {
      description: 'No session is ever STATE_UNSPECIFIED; PLANNING is kept although deprecated upstream.',
    }),
    url: opt(str({ description: "This session in Stint's web UI." })),
    outputs: opt(
      Type.Array(
        Type.Object(
          { pullRequest: opt(PullRequest), changeSet: opt(ChangeSet), branch: opt(PushedBranch) },
          { description: 'Either a pullRequest, or a changeSet (with the branch pushed, if any).' },
        ),
      ),
    ),
    archived: opt(Type.Boolean()),
    usage: opt(Usage),
  }),
);

const PlanStep = Type.Object({
  id: opt(str()),
  title: opt(str()),
  description: opt(str()),
  index: opt(Type.Integer()),
});

const Artifact = Type.Object({
  changeSet: opt(ChangeSet),
  media: opt(
    Type.Object({
      data: opt(str()),
      mimeType: opt(str()),
      format: opt(str({ description: 'The same as mimeType, for @google/jules-sdk 0.0.4.' })),
    }),
  ),
  bashOutput: opt(
    Type.Object(
      {
        command: opt(str()),
        output: opt(str({ description: 'stdout and stderr interleaved.' })),
        stdout: opt(str({ description: 'The same as output, for @google/jules-sdk 0.0.4.' })),
        stderr: opt(
          str({ description: 'Always empty: output holds both streams (for @google/jules-sdk 0.0.4).' }),
        ),
        exitCode: opt(Type.Integer()),
      },
      { description: 'Only with --bash-output.' },
    ),
  ),
});

export const ActivityResource = shared(
  'Activity',
  Type.Object(
    {
      name: str({ examples: ['sessions/1234567890123456789/activities/0123456789abcdef'] }),
      id: str(),
      createTime: timestamp(),
      originator: stringEnum(['user', 'agent', 'system']),
      description: opt(str()),
      agentMessaged: opt(Type.Object({ agentMessage: str() })),
      userMessaged: opt(Type.Object({ userMessage: str() })),
      planGenerated: opt(
        Type.Object({
          plan: Type.Object({
            id: opt(str()),
            createTime: opt(timestamp()),
            steps: opt(Type.Array(PlanStep)),
          }),
        }),
      ),
      planApproved: opt(Type.Object({ planId: opt(str()) })),
      progressUpdated: opt(Type.Object({ title: opt(str()), description: opt(str()) })),
      sessionCompleted: opt(Type.Object({})),
      sessionFailed: opt(Type.Object({ reason: opt(str()) })),
      artifacts: Type.Array(Artifact),
    },
    { description: `Carries exactly one of ${ACTIVITY_KINDS.join(', ')}.` },
  ),
);

export const WebhookResource = shared(
  'Webhook',
  Type.Object({
    name: str({ examples: ['webhooks/wh_abc'] }),
    id: str(),
    url: str(),
    description: opt(str()),
    eventTypes: EventTypes,
    disabled: Type.Boolean(),
    createTime: timestamp(),
    updateTime: opt(timestamp()),
    secret: opt(
      str({
        description:
          'The Standard Webhooks signing secret (whsec_...); only in the answers of create and :rotateSecret.',
      }),
    ),
  }),
);

export const WebhookDeliveryResource = shared(
  'WebhookDelivery',
  Type.Object({
    name: str({ examples: ['webhooks/wh_abc/deliveries/dlv_0123456789abcdef'] }),
    id: str(),
    eventId: str({ description: 'The webhook-id header; the same on every attempt.' }),
    eventType: stringEnum(EVENT_TYPE_NAMES),
    status: stringEnum(['PENDING', 'SUCCEEDED', 'FAILED']),
    attempts: Type.Integer(),
    nextAttemptTime: opt(timestamp()),
    lastAttemptTime: opt(timestamp()),
    lastStatusCode: opt(Type.Integer()),
    lastError: opt(str()),
    createTime: timestamp(),
    updateTime: opt(timestamp()),
    payload: opt(Type.Object({}, { description: 'The JSON body sent (single delivery only).' })),
    attemptLog: opt(
      Type.Array(
        Type.Object({
          attempt: opt(Type.Integer()),
          time: opt(timestamp()),
          trigger: opt(stringEnum(['SCHEDULED', 'MANUAL'])),
          statusCode: opt(Type.Integer()),
          error: opt(str()),
          durationMs: opt(Type.Integer()),
        }),
        { description: 'Every attempt (single delivery only).' },
      ),
    ),
  }),
);

/** `{items: [X], nextPageToken}` list responses. */
function list<T extends TSchema>(id: string, field: string, item: T & { $id: string }) {
  return shared(
    id,
    Type.Object({
      [field]: opt(Type.Array(ref(item))),
      nextPageToken: opt(str({ description: 'Present only when more items remain.' })),
    }),
  );
}

export const ListSessionsResponse = list('ListSessionsResponse', 'sessions', SessionResource);
export const ListActivitiesResponse = list('ListActivitiesResponse', 'activities', ActivityResource);
export const ListSourcesResponse = list('ListSourcesResponse', 'sources', SourceResource);
export const ListWebhooksResponse = list('ListWebhooksResponse', 'webhooks', WebhookResource);
export const ListDeliveriesResponse = list('ListDeliveriesResponse', 'deliveries', WebhookDeliveryResource);

/** Every shared schema, added to the app once (`app.addSchema`). */
export const SHARED_SCHEMAS: readonly (TSchema & { $id: string })[] = [
  ErrorResource,
  EmptyResource,
  SourceResource,
  SessionResource,
  ActivityResource,
  WebhookResource,
  WebhookDeliveryResource,
  ListSessionsResponse,
  ListActivitiesResponse,
  ListSourcesResponse,
  ListWebhooksResponse,
  ListDeliveriesResponse,
];

export type Session = Static<typeof SessionResource>;
export type Activity = Static<typeof ActivityResource>;
export type Source = Static<typeof SourceResource>;
export type ApiErrorBody = Static<typeof ErrorResource>;
