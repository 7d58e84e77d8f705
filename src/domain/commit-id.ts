/**
 * A full git object id as Stint stores and checks them: SHA-1 (40 lowercase hex digits) or SHA-256
 * (64). Abbreviations, refs and anything else a caller or a checkout could hand in are not ids.
 */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
