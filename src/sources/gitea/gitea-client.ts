// Gitea and Forgejo REST v1 over fetch (their generated JS clients add little over these few calls):
// one request per call, bounded in time, never retried, so a bad token or a struggling host costs
// exactly one request, and callers decide what a failure means.

const REQUEST_TIMEOUT_MS = 30_000;
const PAGE_SIZE = 50;

/** A failed Gitea API call: its status and Gitea's message, never a header or the token. */
export class GiteaApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(`Gitea API error ${status}: ${message}`);
    this.status = status;
  }
}

export class GiteaClient {
  readonly #base: string;
  readonly #token: string;

  /** `baseUrl`: the instance, e.g. https://gitea.example.com (the API is under /api/v1). */
  constructor(baseUrl: string, token: string) {
    this.#base = `${baseUrl.replace(/\/+$/, '')}/api/v1`;
    this.#token = token;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query: Record<string, string> = {},
  ): Promise<T> {
    const url = new URL(`${this.#base}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `token ${this.#token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (e) {
      const err = e as Error;
      const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timed out' : err.message;
      throw new Error(`Gitea API error: ${method} ${url.pathname} ${why}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!res.ok) throw new GiteaApiError(res.status, messageOf(parsed, res.statusText));
    return parsed as T;
  }

  /** Every item of a paged list, up to `maxItems`. */
  async all<T>(path: string, query: Record<string, string>, maxItems: number): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; out.length < maxItems; page++) {
      const items = await this.request<T[]>('GET', path, undefined, {
        ...query,
        page: String(page),
        limit: String(PAGE_SIZE),
      });
      if (!Array.isArray(items)) throw new GiteaApiError(502, `GET ${path} did not answer a list`);
      out.push(...items);
      if (items.length < PAGE_SIZE) break;
    }
    return out.slice(0, maxItems);
  }
}

function messageOf(body: unknown, fallback: string): string {
  if (typeof body === 'string') return body.slice(0, 300) || fallback;
  const m = (body as { message?: unknown })?.message;
  return typeof m === 'string' && m !== '' ? m : fallback;
}

/** A failure as a short message without credentials. */
export function describeGiteaError(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  return msg.startsWith('Gitea API error') ? msg : `Gitea API error: ${msg}`;
}
