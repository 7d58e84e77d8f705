/**
 * The MCP server's view of a Stint server: JSON calls under /v1alpha with the API key, retried on
 * network errors, 429 and 5xx (creates and other POSTs carry an Idempotency-Key, so a retry never
 * runs twice), and a reader for the live activity stream.
 */
import { randomUUID } from 'node:crypto';

export class StintApiError extends Error {
  readonly httpStatus: number;
  readonly status: string;

  constructor(httpStatus: number, status: string, message: string) {
    super(`${httpStatus} ${status}: ${message}`);
    this.name = 'StintApiError';
    this.httpStatus = httpStatus;
    this.status = status;
  }
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const ATTEMPTS = 3;

export class StintHttp {
  readonly origin: string;
  readonly #apiKey: string;

  constructor(origin: string, apiKey: string) {
    this.origin = origin.replace(/\/+$/, '');
    this.#apiKey = apiKey;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'content-type': 'application/json', 'x-goog-api-key': this.#apiKey, ...extra };
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = this.#headers(method === 'POST' ? { 'idempotency-key': randomUUID() } : {});
    let last: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.origin}/v1alpha${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (e) {
        last = e;
        await pause(attempt);
        continue;
      }
      const text = await res.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (res.ok) return json as T;
      const err = (json.error ?? {}) as { status?: string; message?: string };
      last = new StintApiError(res.status, err.status ?? 'UNKNOWN', err.message ?? text.slice(0, 500));
      if (!RETRYABLE.has(res.status)) throw last;
      await pause(attempt, Number(res.headers.get('retry-after')) * 1000 || undefined);
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  /** Events of a live stream until it ends or `signal` aborts. */
  async *stream(
    path: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<SseMessage> {
    let res: Response;
    try {
      res = await fetch(`${this.origin}/v1alpha${path}`, {
        headers: this.#headers({
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        }),
        signal,
      });
    } catch (e) {
      // Aborted before the server answered (a slow server): no events, like an abort while reading.
      if (signal.aborted) return;
      throw e;
    }
    if (res.status === 204 || !res.body) return;
    if (!res.ok) {
      const json = JSON.parse((await res.text()) || '{}') as {
        error?: { status?: string; message?: string };
      };
      throw new StintApiError(res.status, json.error?.status ?? 'UNKNOWN', json.error?.message ?? '');
    }
    const decoder = new TextDecoder();
    let buffer = '';
    let msg: SseMessage = { data: '' };
    let hasData = false;
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf('\n');
          if (line === '') {
            if (hasData) yield msg;
            msg = { data: '' };
            hasData = false;
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') {
              msg.data = hasData ? `${msg.data}\n${value}` : value;
              hasData = true;
            } else if (field === 'id') msg.id = value;
            else if (field === 'event') msg.event = value;
          }
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }
}

function pause(attempt: number, ms?: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(ms ?? 250 * 2 ** attempt, 5000)));
}
