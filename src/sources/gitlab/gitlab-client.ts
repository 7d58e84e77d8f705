// GitLab REST v4 through @gitbeaker/rest, with a requester of our own: one request per call, bounded
// in time, never retried (gitbeaker's default retries 429 and 502 ten times in a burst), so a bad
// token or a struggling host costs exactly one request, and callers decide what a failure means.
// The client library is loaded at the first call: a server without GitLab sources never holds it.
import type { RequestHandlerFn } from '@gitbeaker/requester-utils';
import type { Gitlab } from '@gitbeaker/rest';

const REQUEST_TIMEOUT_MS = 30_000;

/** A failed GitLab API call: its status and GitLab's message, never a header or the token. */
export class GitLabApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(`GitLab API error ${status}: ${message}`);
    this.status = status;
  }
}

const handler: RequestHandlerFn = async (endpoint, options) => {
  const { prefixUrl, searchParams, method, headers, body, signal } = (options ?? {}) as {
    prefixUrl?: string;
    searchParams?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    signal?: AbortSignal;
  };
  const base = prefixUrl?.endsWith('/') ? prefixUrl : `${prefixUrl ?? ''}/`;
  const url = new URL(endpoint, base);
  url.search = searchParams ?? '';
  let res: Response;
  try {
    res = await fetch(url, {
      method: method ?? 'GET',
      headers: headers ?? {},
      ...(body !== undefined ? { body } : {}),
      signal: signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error;
    const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timed out' : err.message;
    throw new Error(`GitLab API error: ${method ?? 'GET'} ${url.pathname} ${why}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) throw new GitLabApiError(res.status, messageOf(parsed, res.statusText));
  return {
    body: (res.status === 204 ? null : parsed) as never,
    headers: Object.fromEntries(res.headers.entries()),
    status: res.status,
  };
};

export type GitLabApi = InstanceType<typeof Gitlab<false>>;

let loaded: Promise<(host: string, token: string) => GitLabApi> | undefined;

/** A client for the GitLab at `baseUrl` (e.g. https://gitlab.com, or a self-managed instance). */
export async function gitlab(baseUrl: string, token: string): Promise<GitLabApi> {
  loaded ??= Promise.all([import('@gitbeaker/requester-utils'), import('@gitbeaker/rest')]).then(
    ([utils, rest]) => {
      const requesterFn = utils.createRequesterFn(async (_service, options) => options, handler);
      return (host, token) => new rest.Gitlab({ host, token, requesterFn, queryTimeout: REQUEST_TIMEOUT_MS });
    },
  );
  return (await loaded)(baseUrl, token);
}

function messageOf(body: unknown, fallback: string): string {
  if (typeof body === 'string') return body.slice(0, 300) || fallback;
  const b = body as { message?: unknown; error?: unknown };
  const m = b?.message ?? b?.error;
  if (typeof m === 'string') return m;
  if (m !== undefined) return JSON.stringify(m).slice(0, 300);
  return fallback;
}

/** A failure as a short message without credentials. */
export function describeGitLabError(e: unknown): string {
  if (e instanceof GitLabApiError) return e.message;
  const msg = (e as Error)?.message ?? String(e);
  return msg.startsWith('GitLab API error') ? msg : `GitLab API error: ${msg}`;
}
