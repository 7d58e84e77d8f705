/**
 * JSON schemas of the API. Request schemas validate bodies (Fastify route schemas, or
 * `req.compileValidationSchema` for custom methods) and are the OpenAPI document's request bodies;
 * resource schemas describe what the API returns (documentation only: responses are not
 * re-serialised through them, so they can never drop a field).
 */
import { ACTIVITY_KINDS } from '../domain/activity.ts';
import { AUTOMATION_MODES, WIRE_SESSION_STATES } from '../domain/states.ts';
import { EVENT_TYPE_NAMES } from '../webhooks/event-types.ts';

export const createSessionBody = {
  type: 'object',
  required: ['prompt'],
  properties: {
    prompt: { type: 'string', description: 'What the agent should do.' },
    title: { type: 'string', maxLength: 1000, description: 'Generated from the prompt when not given.' },
    requirePlanApproval: { type: 'boolean' },
    automationMode: { type: 'string', enum: [...AUTOMATION_MODES] },
    sourceContext: {
      type: 'object',
      required: ['source'],
      properties: {
        source: { type: 'string', description: 'A source name, e.g. sources/github/acme/widgets.' },
        githubRepoContext: {
          type: 'object',
          properties: { startingBranch: { type: 'string' } },
        },
        workingBranch: {
          type: 'string',
          description:
            "The branch the session's work is pushed to (default: the branch prefix and the session id). Must differ from the starting branch.",
        },
        environmentVariablesEnabled: {
          type: 'boolean',
          description:
            "Whether the session's commands receive the tenant's and the source's secrets as environment variables (default: true).",
        },
      },
    },
    // Output-only fields of Session: accepted (a client may send back a session it read) and ignored.
    ...Object.fromEntries(
      ['name', 'id', 'createTime', 'updateTime', 'state', 'url', 'outputs', 'archived', 'usage'].map((f) => [
        f,
        { description: 'Output only; ignored on create.' },
      ]),
    ),
  },
} as const;

export const sendMessageBody = {
  type: 'object',
  required: ['prompt'],
  properties: { prompt: { type: 'string', description: 'The message to the agent.' } },
} as const;

/** Custom methods without parameters take `{}` (an empty body is read as `{}`). */
export const emptyBody = { type: 'object', properties: {} } as const;

const eventTypes = {
  type: 'array',
  maxItems: 50,
  items: {
    type: 'string',
    description: `One of ${EVENT_TYPE_NAMES.join(', ')}, or a family such as session.*.`,
  },
  description: 'Event types delivered to this endpoint; empty or absent: every type.',
} as const;

export const createWebhookBody = {
  type: 'object',
  required: ['url'],
  properties: {
    url: { type: 'string', maxLength: 2048, description: 'http:// or https:// URL that receives POSTs.' },
    description: { type: 'string', maxLength: 1000 },
    eventTypes,
    disabled: { type: 'boolean' },
  },
} as const;

export const updateWebhookBody = {
  type: 'object',
  properties: createWebhookBody.properties,
} as const;

const timestamp = { type: 'string', format: 'date-time', description: 'RFC 3339 UTC, 6 fractional digits.' };

const gitPatch = {
  type: 'object',
  properties: {
    baseCommitId: { type: 'string' },
    unidiffPatch: { type: 'string' },
    suggestedCommitMessage: { type: 'string' },
  },
};
const changeSet = { type: 'object', properties: { source: { type: 'string' }, gitPatch } };
const pullRequest = {
  type: 'object',
  properties: {
    url: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    baseRef: { type: 'string' },
    headRef: { type: 'string' },
  },
};

const repoShape = {
  type: 'object',
  properties: {
    owner: { type: 'string' },
    repo: { type: 'string' },
    isPrivate: { type: 'boolean' },
    defaultBranch: { type: 'object', properties: { displayName: { type: 'string' } } },
    branches: {
      type: 'array',
      items: { type: 'object', properties: { displayName: { type: 'string' } } },
    },
  },
};

const pushedBranch = {
  type: 'object',
  description:
    "Stint's addition beside changeSet: the branch AUTO_CREATE_PR pushed (holding that change set).",
  properties: { name: { type: 'string' }, commitId: { type: 'string' }, remote: { type: 'string' } },
};

/** Named resource schemas, referenced as #/components/schemas/NAME. */
export const resourceSchemas: Record<string, Record<string, unknown>> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'status'],
        properties: {
          code: { type: 'integer' },
          message: { type: 'string' },
          status: { type: 'string' },
          details: { type: 'array', items: {} },
        },
      },
    },
  },
  Empty: { type: 'object', description: 'An empty object, {}.' },
  Source: {
    type: 'object',
    required: ['name', 'id', 'githubRepo'],
    properties: {
      name: { type: 'string', examples: ['sources/github/acme/widgets'] },
      id: { type: 'string' },
      githubRepo: {
        ...repoShape,
        description:
          'On every source, whatever its host (the official SDK rejects sources without it): owner and repo from the id.',
      },
      provider: {
        type: 'string',
        description: "Stint's addition: the kind of provider serving the source (git, github, ...).",
      },
      gitRepo: {
        ...repoShape,
        description: "Stint's addition, on sources outside github/: the same fields as githubRepo.",
      },
    },
  },
  Session: {
    type: 'object',
    required: ['name', 'id', 'prompt', 'state', 'createTime'],
    properties: {
      name: { type: 'string', examples: ['sessions/1234567890123456789'] },
      id: { type: 'string' },
      prompt: { type: 'string' },
      title: { type: 'string' },
      sourceContext: createSessionBody.properties.sourceContext,
      requirePlanApproval: { type: 'boolean' },
      automationMode: { type: 'string', enum: [...AUTOMATION_MODES] },
      createTime: timestamp,
      updateTime: timestamp,
      state: {
        type: 'string',
        enum: [...WIRE_SESSION_STATES],
        description: 'No session is ever STATE_UNSPECIFIED; PLANNING is kept although deprecated upstream.',
      },
      url: { type: 'string', description: "This session in Stint's web UI." },
      outputs: {
        type: 'array',
        items: {
          oneOf: [
            { type: 'object', properties: { pullRequest } },
            { type: 'object', properties: { changeSet, branch: pushedBranch } },
          ],
        },
      },
      archived: { type: 'boolean' },
      usage: {
        type: 'object',
        description:
          "Stint's addition: the agent's cumulative model usage, once a model-backed agent reports it.",
        properties: {
          model: { type: 'string' },
          modelTurns: { type: 'integer' },
          inputTokens: { type: 'integer' },
          outputTokens: { type: 'integer' },
          totalTokens: { type: 'integer' },
          cachedInputTokens: { type: 'integer' },
          costUsd: { type: 'number' },
        },
      },
    },
  },
  Activity: {
    type: 'object',
    required: ['name', 'id', 'createTime', 'originator', 'artifacts'],
    description: `Carries exactly one of ${ACTIVITY_KINDS.join(', ')}.`,
    properties: {
      name: { type: 'string', examples: ['sessions/1234567890123456789/activities/0123456789abcdef'] },
      id: { type: 'string' },
      createTime: timestamp,
      originator: { type: 'string', enum: ['user', 'agent', 'system'] },
      description: { type: 'string' },
      agentMessaged: { type: 'object', properties: { agentMessage: { type: 'string' } } },
      userMessaged: { type: 'object', properties: { userMessage: { type: 'string' } } },
      planGenerated: {
        type: 'object',
        properties: {
          plan: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              createTime: timestamp,
              steps: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    title: { type: 'string' },
                    description: { type: 'string' },
                    index: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
      planApproved: { type: 'object', properties: { planId: { type: 'string' } } },
      progressUpdated: {
        type: 'object',
        properties: { title: { type: 'string' }, description: { type: 'string' } },
      },
      sessionCompleted: { type: 'object' },
      sessionFailed: { type: 'object', properties: { reason: { type: 'string' } } },
      artifacts: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            changeSet,
            media: {
              type: 'object',
              properties: {
                data: { type: 'string' },
                mimeType: { type: 'string' },
                format: { type: 'string', description: 'The same as mimeType, for @google/jules-sdk 0.0.4.' },
              },
            },
            bashOutput: {
              type: 'object',
              description: 'Only with --bash-output.',
              properties: {
                command: { type: 'string' },
                output: { type: 'string', description: 'stdout and stderr interleaved.' },
                stdout: { type: 'string', description: 'The same as output, for @google/jules-sdk 0.0.4.' },
                stderr: {
                  type: 'string',
                  description: 'Always empty: output holds both streams (for @google/jules-sdk 0.0.4).',
                },
                exitCode: { type: 'integer' },
              },
            },
          },
        },
      },
    },
  },
  Webhook: {
    type: 'object',
    required: ['name', 'id', 'url', 'eventTypes', 'disabled', 'createTime'],
    properties: {
      name: { type: 'string', examples: ['webhooks/wh_abc'] },
      id: { type: 'string' },
      url: { type: 'string' },
      description: { type: 'string' },
      eventTypes,
      disabled: { type: 'boolean' },
      createTime: timestamp,
      updateTime: timestamp,
      secret: {
        type: 'string',
        description:
          'The Standard Webhooks signing secret (whsec_...); only in the answers of create and :rotateSecret.',
      },
    },
  },
  WebhookDelivery: {
    type: 'object',
    required: ['name', 'id', 'eventId', 'eventType', 'status', 'attempts', 'createTime'],
    properties: {
      name: { type: 'string', examples: ['webhooks/wh_abc/deliveries/dlv_0123456789abcdef'] },
      id: { type: 'string' },
      eventId: { type: 'string', description: 'The webhook-id header; the same on every attempt.' },
      eventType: { type: 'string', enum: EVENT_TYPE_NAMES },
      status: { type: 'string', enum: ['PENDING', 'SUCCEEDED', 'FAILED'] },
      attempts: { type: 'integer' },
      nextAttemptTime: timestamp,
      lastAttemptTime: timestamp,
      lastStatusCode: { type: 'integer' },
      lastError: { type: 'string' },
      createTime: timestamp,
      updateTime: timestamp,
      payload: { type: 'object', description: 'The JSON body sent (single delivery only).' },
      attemptLog: {
        type: 'array',
        description: 'Every attempt (single delivery only).',
        items: {
          type: 'object',
          properties: {
            attempt: { type: 'integer' },
            time: timestamp,
            trigger: { type: 'string', enum: ['SCHEDULED', 'MANUAL'] },
            statusCode: { type: 'integer' },
            error: { type: 'string' },
            durationMs: { type: 'integer' },
          },
        },
      },
    },
  },
};

/** `{items: [X], nextPageToken}` list responses. */
export function listSchema(field: string, item: string): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      [field]: { type: 'array', items: { $ref: `#/components/schemas/${item}` } },
      nextPageToken: { type: 'string', description: 'Present only when more items remain.' },
    },
  };
}
