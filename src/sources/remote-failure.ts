/**
 * Why a source's repository could not be read, as far as the failure tells: a client must not retry
 * for minutes (503) what only a person can fix (a revoked token, a repository that is gone), and must
 * not be told to give up (400) on a host that is down for a moment.
 *
 * - `denied`: the host refused the credentials (HTTP 401/403 without a rate limit, git's
 *   authentication failures).
 * - `missing`: the host says there is no such repository (HTTP 404, git's "not found").
 * - `unreachable`: anything else (network, time-out, 5xx, rate limits): retry later.
 */
export type RemoteFailure = 'denied' | 'missing' | 'unreachable';

const DENIED = [
  /authentication failed/i,
  /could not read (username|password)/i,
  /terminal prompts disabled/i,
  /permission denied \(publickey/i,
  /requested url returned error: 40[13]\b/i,
  /access denied/i,
  /invalid (username or password|credentials)/i,
];
const MISSING = [
  /repository not found/i,
  /does not appear to be a git repository/i,
  /requested url returned error: 404\b/i,
  /not a git repository/i,
  /project you were looking for could not be found/i,
];

/**
 * Classifies an error thrown while reading a remote (a GitError, an Octokit/gitbeaker/fetch error),
 * looking through the errors that wrap it (`cause`).
 */
export function classifyRemoteFailure(e: unknown): RemoteFailure {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const status = httpStatus(cur);
    if (status === undefined) continue;
    if (status === 404) return 'missing';
    if ((status === 401 || status === 403) && !rateLimited(cur)) return 'denied';
    return 'unreachable';
  }
  const text = errorText(e);
  if (DENIED.some((re) => re.test(text))) return 'denied';
  if (MISSING.some((re) => re.test(text))) return 'missing';
  return 'unreachable';
}

function httpStatus(e: unknown): number | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const o = e as { status?: unknown; response?: { status?: unknown } };
  for (const v of [o.status, o.response?.status]) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v < 600) return v;
  }
  return undefined;
}

/** GitHub answers an exhausted rate limit with 403 (or 429): that is a wait, not a refusal. */
function rateLimited(e: unknown): boolean {
  const o = e as { response?: { headers?: Record<string, unknown> }; message?: unknown };
  const remaining = o.response?.headers?.['x-ratelimit-remaining'];
  if (remaining === '0' || remaining === 0) return true;
  return typeof o.message === 'string' && /rate limit/i.test(o.message);
}

function errorText(e: unknown): string {
  if (!e || typeof e !== 'object') return String(e);
  const o = e as { message?: unknown; stderr?: unknown };
  return `${typeof o.message === 'string' ? o.message : ''}\n${typeof o.stderr === 'string' ? o.stderr : ''}`;
}

/** What a client is told when a source's repository cannot be read, by why. */
export function describeRemoteFailure(kind: RemoteFailure): string {
  switch (kind) {
    case 'denied':
      return 'the git host refused the credentials configured for it (check the token or key)';
    case 'missing':
      return 'the git host says the repository does not exist (or the credentials cannot see it)';
    case 'unreachable':
      return 'its repository could not be read';
  }
}
