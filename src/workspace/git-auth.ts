// How git authenticates to a source without credentials ever appearing on a command line, in a
// repository's config or in a log: a credential helper, configured through the environment, that
// answers from two environment variables of the git process only.
import { hasUrlUserinfo, stripUrlUserinfo } from './redact.ts';

/** Where and how git reaches a repository. */
export interface GitRemote {
  /** URL or path without credentials (safe to show and to store where agents can read it). */
  url: string;
  /** Extra environment for every git call that talks to `url` (credentials live here). */
  env: Record<string, string>;
}

export interface GitCredentials {
  username: string;
  password: string;
}

// `!` helpers run through the shell; it reads the secret from the environment, never from argv.
const HELPER =
  '!f() { test "$1" = get || exit 0; printf "username=%s\\npassword=%s\\n" "$STINT_GIT_USERNAME" "$STINT_GIT_PASSWORD"; }; f';

/** Environment that makes git answer authentication challenges with `creds`. */
export function credentialEnv(creds: GitCredentials): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: '2',
    // An empty value clears any helper configured elsewhere; then ours.
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: HELPER,
    STINT_GIT_USERNAME: creds.username,
    STINT_GIT_PASSWORD: creds.password,
  };
}

/**
 * Splits `https://user:secret@host/x.git` into the bare URL and a credential environment, so the
 * secret reaches git only through its environment. Other URLs come back unchanged with no env.
 */
export function remoteFromUrl(gitUrl: string, creds?: GitCredentials): GitRemote {
  if (creds) return { url: stripUrlUserinfo(gitUrl), env: credentialEnv(creds) };
  if (!hasUrlUserinfo(gitUrl)) return { url: gitUrl, env: {} };
  let parsed: URL;
  try {
    parsed = new URL(gitUrl);
  } catch {
    return { url: stripUrlUserinfo(gitUrl), env: {} };
  }
  const username = safeDecode(parsed.username);
  const password = safeDecode(parsed.password);
  return { url: stripUrlUserinfo(gitUrl), env: credentialEnv({ username, password }) };
}

/** Credentials for a GitHub token (also an App installation token) over HTTPS. */
export function githubTokenCredentials(token: string): GitCredentials {
  return { username: 'x-access-token', password: token };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
