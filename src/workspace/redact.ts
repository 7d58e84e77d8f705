// Keeps credentials out of logs and error messages: URLs such as
// https://user:token@host/repo.git carry secrets in their userinfo part.

// scheme://  then an authority up to the last '@' before the first '/', quote or whitespace.
const USERINFO_IN_URL = /([a-z][a-z0-9+.-]*:\/\/)[^/\s'"`<>]*@/gi;

/** Replaces the userinfo of every URL found in `text` with `***`. */
export function redactSecrets(text: string): string {
  return text.replace(USERINFO_IN_URL, '$1***@');
}

/** `https://user:token@host/x.git` → `https://***@host/x.git`; other URLs unchanged. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/**
 * `https://user:token@host/x.git` → `https://host/x.git` (userinfo removed entirely), for storing
 * a URL where a sandboxed agent can read it. Other URLs (scp-like `git@host:x`, paths) unchanged.
 */
export function stripUrlUserinfo(url: string): string {
  return url.replace(USERINFO_IN_URL, '$1');
}

/** Whether `url` carries userinfo (`scheme://something@`). */
export function hasUrlUserinfo(url: string): boolean {
  return stripUrlUserinfo(url) !== url;
}
