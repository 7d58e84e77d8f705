/**
 * Reviews that answer back: `POST /hooks/reviews/{github|gitlab|gitea}` receives the host's webhook
 * for comments on pull/merge requests. A comment that mentions the configured handle on a review
 * Stint opened becomes a userMessaged activity of that session and continues it (its new commits
 * update the same review). Outside /v1alpha: the host authenticates with the webhook's signature
 * (GitHub HMAC `X-Hub-Signature-256`, GitLab `X-Gitlab-Token`, Gitea/Forgejo HMAC), checked on the
 * exact bytes received before anything is parsed.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isStintError, StintError } from '../domain/errors.ts';
import type { Principal, SessionService } from '../services/session-service.ts';
import type { ReviewHooksConfig } from '../sources/repo-config.ts';
import {
  candidateSessions,
  deliveryId,
  mentions,
  REVIEW_HOSTS,
  type ReviewComment,
  type ReviewHost,
  readReviewComment,
  verifySignature,
} from '../sources/reviews/review-comment.ts';
import type { SessionRecord, Store } from '../store/store.ts';
import { sendError } from './errors.ts';

export interface ReviewWebhookDeps {
  store: Pick<Store, 'getSession'>;
  sessions: Pick<SessionService, 'sendMessage'>;
  config: ReviewHooksConfig | undefined;
  branchPrefix: string;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Where the secrets' variables are read (default: the process environment). */
  env?: NodeJS.ProcessEnv;
}

/** Deliveries remembered per process, so a redelivered event is not a second message. */
const SEEN_DELIVERIES = 1000;

export function registerReviewWebhooks(app: FastifyInstance, deps: ReviewWebhookDeps): void {
  const seen = new Set<string>();
  app.register(async (hooks) => {
    // The signature covers the exact bytes: keep them, parse only after the check.
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    hooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) =>
      done(
        new StintError(
          'INVALID_ARGUMENT',
          "Review webhooks take JSON: set the webhook's content type to application/json.",
        ),
      ),
    );

    hooks.post<{ Params: { host: string } }>('/hooks/reviews/:host', async (req, reply) => {
      const host = req.params.host as ReviewHost;
      if (!REVIEW_HOSTS.includes(host)) {
        return sendError(reply, new StintError('NOT_FOUND', `No review webhook for '${req.params.host}'.`));
      }
      const secretEnv = deps.config?.secretEnv[host];
      const secret = secretEnv ? (deps.env ?? process.env)[secretEnv] : undefined;
      if (!deps.config || !secret) {
        return sendError(
          reply,
          new StintError('NOT_FOUND', `Review webhooks from ${host} are off (no STINT_REVIEW_SECRET).`),
        );
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!verifySignature(host, req.headers, raw, secret)) {
        deps.log.warn({ host }, 'a review webhook with a wrong signature was refused');
        return sendError(reply, new StintError('UNAUTHENTICATED', 'The webhook signature does not match.'));
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendError(reply, new StintError('INVALID_ARGUMENT', 'The webhook body is not JSON.'));
      }
      const comment = readReviewComment(host, req.headers, payload);
      if (!comment) return reply.code(200).send({ ignored: 'not a new comment on a pull or merge request' });
      if (!mentions(comment.body, deps.config.handle)) {
        return reply.code(200).send({ ignored: `the comment does not mention ${deps.config.handle}` });
      }
      const record = await sessionOf(deps, comment);
      if (!record) return reply.code(200).send({ ignored: 'no Stint session opened this review' });
      const delivery = deliveryId(host, req.headers);
      const key = delivery && `${host}:${delivery}`;
      if (key && seen.has(key))
        return reply.code(200).send({ ignored: 'this delivery was already received' });
      const who: Principal = { tenantId: record.session.tenantId, keyId: `review:${host}`, role: 'member' };
      if (key) {
        seen.add(key);
        if (seen.size > SEEN_DELIVERIES) seen.delete(seen.values().next().value!);
      }
      try {
        await deps.sessions.sendMessage(who, record.session.id, messageOf(comment));
      } catch (e) {
        if (key) seen.delete(key); // not delivered: a redelivery may try again
        if (isStintError(e)) return sendError(reply, e);
        throw e;
      }
      deps.log.info({ host, session: record.session.id }, 'a review comment continues the session');
      return reply.code(202).send({ session: `sessions/${record.session.id}` });
    });
  });
}

/** The session whose own pull/merge request this is (its outputs hold exactly that URL). */
async function sessionOf(
  deps: ReviewWebhookDeps,
  comment: ReviewComment,
): Promise<SessionRecord | undefined> {
  for (const id of candidateSessions(comment, deps.branchPrefix)) {
    const record = await deps.store.getSession(id);
    const opened = record?.session.outputs.some(
      (o) => 'pullRequest' in o && o.pullRequest.url === comment.reviewUrl,
    );
    if (record && opened) return record;
  }
  return undefined;
}

function messageOf(c: ReviewComment): string {
  return `Review comment from @${c.author} on ${c.reviewUrl}:\n\n${c.body}`;
}
