// Octokit clients for a GitHub (or GitHub Enterprise) API base, quiet and without retries of their
// own: callers decide what a failure means. The client library is loaded at the first call: a server
// without GitHub sources never holds it.
import type { Octokit } from '@octokit/rest';

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

let loaded: Promise<typeof Octokit> | undefined;

export async function octokit(apiUrl: string, token: string): Promise<Octokit> {
  loaded ??= import('@octokit/rest').then((m) => m.Octokit);
  const Client = await loaded;
  return new Client({
    auth: token,
    baseUrl: apiUrl,
    userAgent: 'stint',
    log: SILENT,
    // Every request bounded in time.
    request: {
      fetch: (url: string | URL, init: RequestInit = {}) =>
        fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    },
  });
}

const REQUEST_TIMEOUT_MS = 30_000;

/** A GitHub API failure as a short message without credentials (Octokit's errors can quote headers). */
export function describeGitHubError(e: unknown): string {
  const err = e as { status?: number; message?: string; response?: { data?: { message?: string } } };
  const detail = err.response?.data?.message ?? err.message ?? String(e);
  return err.status ? `GitHub API error ${err.status}: ${detail}` : `GitHub API error: ${detail}`;
}
