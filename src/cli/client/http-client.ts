/**
 * A small HTTP client for the v1alpha API: the key in X-Goog-Api-Key, Google-style errors turned into
 * ApiError (exit 4), transport failures into exit 5, and retries where they are safe: reads retry
 * network errors, 429 and 5xx; writes retry only when the server cannot have acted (429, 503,
 * connection refused). Retry-After is honoured.
 */
import { CliError, EXIT } from './exit-codes.ts';

export interface HttpClientOptions {
  origin: string;
  apiKey: string;
  /** How long to keep retrying a failing request before giving up (default 10 s). */
  retryForMs?: number;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
}

/** The server refused the request: HTTP status, Google status name and the server's message. */
export class ApiError extends CliError {
  readonly httpStatus: number;
  readonly status: string;
  readonly serverMessage: string;

  constructor(httpStatus: number, status: string, serverMessage: string, hint?: string) {
    super(
      httpStatus >= 500 ? EXIT.UNREACHABLE : EXIT.API,
      `${serverMessage} (${status}, HTTP ${httpStatus})`,
      hint,
    );
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.status = status;
    this.serverMessage = serverMessage;
  }
}

const RETRYABLE_READ = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_WRITE = new Set([429, 503]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'DELETE']);

export class HttpClient {
  readonly origin: string;
  #apiKey: string;
  #retryForMs: number;
  #timeoutMs: number;
  #userAgent: string;
  /** Set once any response arrived: a refused connection after that is a restart worth waiting for. */
  #reachedServer = false;

  constructor(opts: HttpClientOptions) {
    this.origin = opts.origin;
    this.#apiKey = opts.apiKey;
    this.#retryForMs = opts.retryForMs ?? 10_000;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent ?? 'stint-cli';
  }

  setRetryFor(ms: number): void {
    this.#retryForMs = ms;
  }

  /** `path` is under /v1alpha, e.g. `/sessions/abc`. Resolves to the parsed JSON body ({} when empty). */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.origin}/v1alpha${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const deadline = Date.now() + this.#retryForMs;
    const retryable = IDEMPOTENT.has(method) ? RETRYABLE_READ : RETRYABLE_WRITE;
    for (let attempt = 0; ; attempt++) {
      const backoff = Math.min(5_000, 250 * 2 ** attempt);
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            'content-type': 'application/json',
            'x-goog-api-key': this.#apiKey,
            'user-agent': this.#userAgent,
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (e) {
        const code = transportCode(e);
        const neverSent = code === 'ECONNREFUSED';
        const mayRetry = (IDEMPOTENT.has(method) || neverSent) && (this.#reachedServer || !neverSent);
        if (mayRetry && Date.now() + backoff < deadline) {
          await sleep(backoff);
          continue;
        }
        throw new CliError(
          EXIT.UNREACHABLE,
          `cannot reach ${this.origin}: ${code}`,
          'Is `stint serve` running there? Point the CLI at it with --server URL or STINT_SERVER.',
        );
      }
      this.#reachedServer = true;
      const text = await res.text().catch(() => '');
      if (res.ok) return this.#parse<T>(text);
      const wait = retryAfterMs(res.headers.get('retry-after')) ?? backoff;
      if (retryable.has(res.status) && Date.now() + wait < deadline) {
        await sleep(wait);
        continue;
      }
      throw this.#apiError(res.status, text);
    }
  }

  #parse<T>(text: string): T {
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        EXIT.UNREACHABLE,
        `${this.origin} answered with something that is not JSON`,
        'Is it a Stint server? Give its origin without /v1alpha.',
      );
    }
  }

  #apiError(httpStatus: number, text: string): ApiError {
    let status = `HTTP_${httpStatus}`;
    let message = text.trim().split('\n')[0]?.slice(0, 300) || `the server answered HTTP ${httpStatus}`;
    try {
      const err = (JSON.parse(text) as { error?: { status?: unknown; message?: unknown } }).error;
      if (typeof err?.status === 'string') status = err.status;
      if (typeof err?.message === 'string' && err.message !== '') message = err.message;
    } catch {
      // not JSON (a proxy's error page): keep its first line
    }
    let hint: string | undefined;
    if (httpStatus === 401) hint = `Set STINT_API_KEY or run \`stint login --server ${this.origin}\`.`;
    else if (httpStatus === 403) hint = 'This API key has no access to that; ask the server admin.';
    else if (httpStatus === 404 && status === `HTTP_404`) {
      hint = `Is ${this.origin} a Stint server? Give its origin without /v1alpha.`;
    }
    return new ApiError(httpStatus, status, message, hint);
  }
}

function transportCode(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'no answer in time';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, 60_000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.min(at - Date.now(), 60_000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
