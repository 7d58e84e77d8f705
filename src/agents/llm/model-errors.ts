/**
 * What a failed model request means for the session: retry it (429, 5xx, network, timeout), shrink
 * the conversation (context overflow), or fail with a reason a person can act on. Reasons never
 * hold the API key: callers pass them through a Redactor holding it.
 */
import { APICallError } from 'ai';

/** `internal`: not the provider's answer at all (a bug, a malformed transcript): not a model failure. */
export type ModelErrorKind = 'transient' | 'context' | 'permanent' | 'internal';

export interface ModelFailure {
  kind: ModelErrorKind;
  /** One line for the user. */
  message: string;
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  retryAfterMs?: number;
}

const CONTEXT_OVERFLOW =
  /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|exceeds the (model'?s )?(maximum|context)/i;

export function classifyModelError(e: unknown): ModelFailure {
  if (APICallError.isInstance(e)) {
    const status = e.statusCode;
    const detail = oneLine(e.message || 'no message');
    if (status === undefined) return { kind: 'transient', message: `cannot reach the model: ${detail}` };
    const retryAfterMs = retryAfter(e.responseHeaders);
    const message = `HTTP ${status}: ${detail}`;
    if (status === 429 || status === 408 || status === 409 || status >= 500 || e.isRetryable) {
      return retryAfterMs === undefined
        ? { kind: 'transient', message }
        : { kind: 'transient', message, retryAfterMs };
    }
    if ((status === 400 || status === 413) && CONTEXT_OVERFLOW.test(e.message)) {
      return { kind: 'context', message };
    }
    return { kind: 'permanent', message };
  }
  const err = e as Error;
  if (err?.name === 'TimeoutError') return { kind: 'transient', message: 'the model request timed out' };
  // fetch() failures (refused, reset, DNS, a stream cut off half-way) surface as TypeError('fetch
  // failed' / 'terminated') with the socket error as the cause.
  const code = (err?.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (NETWORK.test(err?.message ?? '') || NETWORK.test(code)) {
    return { kind: 'transient', message: `the connection to the model failed: ${oneLine(err.message)}` };
  }
  return { kind: 'internal', message: oneLine(err?.message ?? String(e)) };
}

const NETWORK = /fetch failed|terminated|network|socket|ECONN|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|UND_ERR/i;

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers['retry-after'];
  if (raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 499)}…` : flat;
}
