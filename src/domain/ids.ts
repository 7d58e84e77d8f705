import { randomBytes, randomInt } from 'node:crypto';

/** Session ids are 19-digit decimal strings, like Jules'. */
export function newSessionId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 3; i++) id += String(randomInt(0, 1_000_000)).padStart(6, '0');
  return id;
}

/** Activity ids are 16 hex digits. */
export function newActivityId(): string {
  return randomBytes(8).toString('hex');
}

export function newOpaqueId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}
