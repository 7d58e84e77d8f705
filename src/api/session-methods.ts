/**
 * The custom methods of sessions, one route each: POST sessions/{id}:approvePlan, :sendMessage,
 * :archive, :unarchive, :pause, :resume, :cancel. Every method refuses fields it does not know;
 * sendMessage takes `prompt`, the others nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { Session } from '../domain/session.ts';
import type { Principal } from '../services/session-service.ts';
import type { ApiContext } from './context.ts';
import {
  catchAllMethods,
  methodBody,
  methodUrl,
  objectBody,
  splitVerb,
  unknownMethod,
} from './custom-methods.ts';
import { EmptyResource, ref, SessionResource } from './resource-schemas.ts';
import { answers, docsOnly, idempotencyHeaders, pathParams } from './route-docs.ts';
import { EmptyBody, SendMessageBody } from './schemas.ts';

const SESSIONS = '/v1alpha/sessions';
const EXPECTED = 'approvePlan, sendMessage, archive, unarchive, pause, resume or cancel';

interface Method {
  verb: string;
  summary: string;
  description?: string;
  body: TSchema;
  /** Answers the updated session (else `{}`). */
  returnsSession: boolean;
  run(who: Principal, id: string, body: Record<string, unknown>): Promise<Session | undefined>;
}

export function sessionMethodRoutes(
  app: FastifyInstance,
  ctx: ApiContext,
  wire: (s: Session) => Record<string, unknown>,
): void {
  const s = ctx.sessions;
  const methods: Method[] = [
    {
      verb: 'approvePlan',
      summary: 'Approve the plan',
      description: 'Only in AWAITING_PLAN_APPROVAL.',
      body: EmptyBody,
      returnsSession: false,
      run: async (who, id) => void (await s.approvePlan(who, id)),
    },
    {
      verb: 'sendMessage',
      summary: 'Send a message to the agent',
      body: SendMessageBody,
      returnsSession: false,
      run: async (who, id, body) => void (await s.sendMessage(who, id, body.prompt as string)),
    },
    {
      verb: 'archive',
      summary: 'Archive a session',
      body: EmptyBody,
      returnsSession: true,
      run: (who, id) => s.setArchived(who, id, true),
    },
    {
      verb: 'unarchive',
      summary: 'Unarchive a session',
      body: EmptyBody,
      returnsSession: true,
      run: (who, id) => s.setArchived(who, id, false),
    },
    {
      verb: 'pause',
      summary: 'Pause a session (PAUSED); the agent stops at once and continues on resume',
      body: EmptyBody,
      returnsSession: true,
      run: (who, id) => s.pause(who, id),
    },
    {
      verb: 'resume',
      summary: 'Resume a paused session',
      body: EmptyBody,
      returnsSession: true,
      run: (who, id) => s.resume(who, id),
    },
    {
      verb: 'cancel',
      summary: 'Cancel a session',
      description:
        'Stops the agent and its commands within seconds; the session ends FAILED with a sessionFailed activity, reason "cancelled".',
      body: EmptyBody,
      returnsSession: true,
      run: (who, id) => s.cancel(who, id),
    },
  ];

  for (const m of methods) {
    app.post<{ Params: { id: string } }>(
      methodUrl(SESSIONS, m.verb),
      {
        schema: {
          operationId: `sessions.${m.verb}`,
          tags: ['sessions'],
          summary: m.summary,
          ...(m.description ? { description: m.description } : {}),
          response: answers(ref(m.returnsSession ? SessionResource : EmptyResource)),
        },
        config: docsOnly({
          params: pathParams({ id: 'The session id.' }),
          headers: idempotencyHeaders,
          body: m.body,
        }),
      },
      async (req) => {
        const body = methodBody(req, m.body);
        const session = await m.run(req.principal, req.params.id, body);
        return session ? wire(session) : {};
      },
    );
  }

  catchAllMethods(app, SESSIONS, (req: FastifyRequest, idVerb: string) => {
    const { verb } = splitVerb(idVerb, SESSIONS);
    objectBody(req);
    throw unknownMethod('sessions', verb, EXPECTED);
  });
}
