/**
 * A full git object id as Stint stores and checks them: SHA-1 (40 lowercase hex digits) or SHA-256
 * (64). Abbreviations, refs and anything else a caller or a checkout could hand in are not ids.
 */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** A repository's object format: the hash its ids are made with. */
export type ObjectFormat = 'sha1' | 'sha256';

/** The object format a full id (COMMIT_ID) belongs to. */
export function objectFormatOf(id: string): ObjectFormat {
  return id.length === 64 ? 'sha256' : 'sha1';
}

/** How many bytes a raw id (an index entry's, its trailing hash) takes in that format. */
export function hashBytes(format: ObjectFormat): number {
  return format === 'sha1' ? 20 : 32;
}
