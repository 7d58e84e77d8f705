/**
 * Review comments delivered by a host's webhook: the signature check of each host (GitHub
 * `X-Hub-Signature-256`, GitLab `X-Gitlab-Token`, Gitea/Forgejo `X-Gitea-Signature` /
 * `X-Forgejo-Signature`), and the comment read out of the host's event payload. No I/O here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type ReviewHost = 'github' | 'gitlab' | 'gitea';
export const REVIEW_HOSTS: readonly ReviewHost[] = ['github', 'gitlab', 'gitea'];

export type Headers = Record<string, string | string[] | undefined>;

/** A comment on a pull/merge request. */
export interface ReviewComment {
  /** The review's web URL, as Stint stored it in the session's `pullRequest` output. */
  reviewUrl: string;
  /** The review's head branch, when the payload says it. */
  headRef?: string;
  /** Text that may link the Stint session (the review's description), when the payload has it. */
  reviewBody?: string;
  author: string;
  body: string;
}

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const hmacHex = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

/** Whether the request really comes from the host that knows `secret`. */
export function verifySignature(host: ReviewHost, headers: Headers, body: Buffer, secret: string): boolean {
  switch (host) {
    case 'github': {
      const sig = header(headers, 'x-hub-signature-256');
      return sig !== undefined && sameBytes(sig, `sha256=${hmacHex(secret, body)}`);
    }
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token');
      return token !== undefined && sameBytes(token, secret);
    }
    case 'gitea': {
      const sig = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature');
      return sig !== undefined && sameBytes(sig.toLowerCase(), hmacHex(secret, body));
    }
  }
}

/** A unique id of the delivery, to drop redeliveries of the same event. */
export function deliveryId(host: ReviewHost, headers: Headers): string | undefined {
  const name = { github: 'x-github-delivery', gitlab: 'x-gitlab-event-uuid', gitea: 'x-gitea-delivery' }[
    host
  ];
  return header(headers, name) ?? (host === 'gitea' ? header(headers, 'x-forgejo-delivery') : undefined);
}

// Payloads are the hosts' JSON: read field by field, every value checked by `str`.
// biome-ignore lint/suspicious/noExplicitAny: untyped webhook JSON, narrowed by str() at each read
type Json = Record<string, any>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The new comment on a pull/merge request this event carries, or undefined for any other event. */
export function readReviewComment(
  host: ReviewHost,
  headers: Headers,
  payload: unknown,
): ReviewComment | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Json;
  switch (host) {
    case 'github':
      return github(header(headers, 'x-github-event'), p);
    case 'gitlab':
      return gitlab(p);
    case 'gitea':
      return gitea(header(headers, 'x-gitea-event') ?? header(headers, 'x-forgejo-event'), p);
  }
}

function github(event: string | undefined, p: Json): ReviewComment | undefined {
  if (event === 'issue_comment' && p.action === 'created' && p.issue?.pull_request) {
    return comment(str(p.issue.pull_request.html_url) ?? str(p.issue.html_url), p.comment, {
      reviewBody: str(p.issue.body),
      author: str(p.comment?.user?.login),
    });
  }
  if (event === 'pull_request_review_comment' && p.action === 'created') {
    return comment(str(p.pull_request?.html_url), p.comment, {
      headRef: str(p.pull_request?.head?.ref),
      reviewBody: str(p.pull_request?.body),
      author: str(p.comment?.user?.login),
    });
  }
  if (event === 'pull_request_review' && p.action === 'submitted') {
    return comment(str(p.pull_request?.html_url), p.review, {
      headRef: str(p.pull_request?.head?.ref),
      reviewBody: str(p.pull_request?.body),
      author: str(p.review?.user?.login),
    });
  }
  return undefined;
}

function gitlab(p: Json): ReviewComment | undefined {
  const note = p.object_attributes;
  if (p.object_kind !== 'note' || note?.noteable_type !== 'MergeRequest') return undefined;
  const body = str(note.note);
  const reviewUrl = str(p.merge_request?.url);
  if (!body || !reviewUrl) return undefined;
  return {
    reviewUrl,
    body,
    author: str(p.user?.username) ?? 'someone',
    ...opt('headRef', str(p.merge_request?.source_branch)),
    ...opt('reviewBody', str(p.merge_request?.description)),
  };
}

function gitea(event: string | undefined, p: Json): ReviewComment | undefined {
  if (event !== 'issue_comment' || p.action !== 'created') return undefined;
  if (!(p.is_pull === true || p.issue?.pull_request)) return undefined;
  return comment(str(p.issue?.pull_request?.html_url) ?? str(p.issue?.html_url), p.comment, {
    reviewBody: str(p.issue?.body),
    author: str(p.comment?.user?.login) ?? str(p.sender?.login),
  });
}

function comment(
  reviewUrl: string | undefined,
  c: Json | undefined,
  extra: { headRef?: string | undefined; reviewBody?: string | undefined; author?: string | undefined },
): ReviewComment | undefined {
  const body = str(c?.body);
  if (!reviewUrl || !body) return undefined;
  return {
    reviewUrl,
    body,
    author: extra.author ?? 'someone',
    ...opt('headRef', extra.headRef),
    ...opt('reviewBody', extra.reviewBody),
  };
}

const opt = <K extends string>(key: K, v: string | undefined) => (v === undefined ? {} : { [key]: v });

/** Whether `text` mentions `handle` (e.g. `@stint`), not as part of a longer name. */
export function mentions(text: string, handle: string): boolean {
  const escaped = handle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w@/.-])${escaped}(?![\\w-])`, 'i').test(text);
}

const SESSION_LINK = /\/sessions\/([A-Za-z0-9_-]{1,64})\b/g;

/** Session ids the comment may belong to: from its head branch, else from links in the description. */
export function candidateSessions(comment: ReviewComment, branchPrefix: string): string[] {
  const out = new Set<string>();
  if (comment.headRef?.startsWith(branchPrefix)) out.add(comment.headRef.slice(branchPrefix.length));
  for (const m of (comment.reviewBody ?? '').matchAll(SESSION_LINK)) {
    out.add(m[1]!);
    if (out.size >= 5) break;
  }
  return [...out];
}
