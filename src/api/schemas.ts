/**
 * Request bodies of the API, each declared once with TypeBox: the JSON schema validates the body
 * (a route's `schema.body`, or the custom method's own check), is published in the OpenAPI document,
 * and its TypeScript type is derived from it (`Static`), for the handlers and the CLI client alike.
 */
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';
import { AUTOMATION_MODES } from '../domain/states.ts';
import { EVENT_TYPE_NAMES } from '../webhooks/event-types.ts';

/** `{type: 'string', enum}`, typed as the union of its values. */
export function stringEnum<const T extends string>(
  values: readonly T[],
  opts: { description?: string } = {},
): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });
}

const SourceContext = Type.Object({
  source: Type.String({ description: 'A source name, e.g. sources/github/acme/widgets.' }),
  githubRepoContext: Type.Optional(Type.Object({ startingBranch: Type.Optional(Type.String()) })),
  workingBranch: Type.Optional(
    Type.String({
      description:
        "The branch the session's work is pushed to (default: the branch prefix and the session id). Must differ from the starting branch.",
    }),
  ),
  environmentVariablesEnabled: Type.Optional(
    Type.Boolean({
      description:
        "Whether the session's commands receive the tenant's and the source's secrets as environment variables (default: true).",
    }),
  ),
});

/** Output-only fields of Session: accepted (a client may send back a session it read) and ignored. */
const outputOnly = () => Type.Optional(Type.Unknown({ description: 'Output only; ignored on create.' }));

export const CreateSessionBody = Type.Object({
  prompt: Type.String({ description: 'What the agent should do.' }),
  title: Type.Optional(
    Type.String({ maxLength: 1000, description: 'Generated from the prompt when not given.' }),
  ),
  requirePlanApproval: Type.Optional(Type.Boolean()),
  automationMode: Type.Optional(stringEnum(AUTOMATION_MODES)),
  sourceContext: Type.Optional(SourceContext),
  name: outputOnly(),
  id: outputOnly(),
  createTime: outputOnly(),
  updateTime: outputOnly(),
  state: outputOnly(),
  url: outputOnly(),
  outputs: outputOnly(),
  archived: outputOnly(),
  usage: outputOnly(),
});
export type CreateSessionRequest = Static<typeof CreateSessionBody>;
/** What a client sends to create a session (the output-only fields left out). */
export type NewSession = Omit<
  CreateSessionRequest,
  'name' | 'id' | 'createTime' | 'updateTime' | 'state' | 'url' | 'outputs' | 'archived' | 'usage'
>;

export const SendMessageBody = Type.Object({
  prompt: Type.String({ description: 'The message to the agent.' }),
});
export type SendMessageRequest = Static<typeof SendMessageBody>;

/** Custom methods without parameters take `{}` (an empty body is read as `{}`). */
export const EmptyBody = Type.Object({});

export const EventTypes = Type.Array(
  Type.String({ description: `One of ${EVENT_TYPE_NAMES.join(', ')}, or a family such as session.*.` }),
  { maxItems: 50, description: 'Event types delivered to this endpoint; empty or absent: every type.' },
);

const webhookFields = {
  url: Type.String({ maxLength: 2048, description: 'http:// or https:// URL that receives POSTs.' }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  eventTypes: Type.Optional(EventTypes),
  disabled: Type.Optional(Type.Boolean()),
};

export const CreateWebhookBody = Type.Object(webhookFields);
export type CreateWebhookRequest = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Partial(Type.Object(webhookFields));
export type UpdateWebhookRequest = Static<typeof UpdateWebhookBody>;

/** A schema's JSON form (what the OpenAPI document publishes and a test compares against). */
export const asJson = (s: TSchema): unknown => JSON.parse(JSON.stringify(s));
