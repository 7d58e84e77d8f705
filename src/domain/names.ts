/** Resource names of the wire contract and their validation. */
export const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const ACTIVITY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;

export const sessionName = (id: string) => `sessions/${id}`;
export const activityName = (sessionId: string, id: string) => `sessions/${sessionId}/activities/${id}`;
export const sourceName = (id: string) => `sources/${id}`;

export function isValidSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

/** A source id is `provider/owner/repo`, each segment [A-Za-z0-9_.-], not `.` or `..`. */
export function isValidSourceId(id: string): boolean {
  const parts = id.split('/');
  return parts.length === 3 && parts.every((p) => SEGMENT.test(p) && p !== '.' && p !== '..');
}

/** `sources/github/acme/widgets` -> `github/acme/widgets`, or undefined if not a valid source name. */
export function parseSourceName(name: string): string | undefined {
  if (!name.startsWith('sources/')) return undefined;
  const id = name.slice('sources/'.length);
  return isValidSourceId(id) ? id : undefined;
}

/** A tenant's id: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63. */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
