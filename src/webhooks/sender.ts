/** One HTTP attempt of a delivery: POST the payload, signed; 2xx is success, anything else a failure. */
import { performance } from 'node:perf_hooks';
import { signedHeaders } from './signing.ts';

export interface SendRequest {
  url: string;
  secret: string;
  messageId: string;
  payload: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SendResult {
  ok: boolean;
  statusCode?: number;
  error?: string;
  /** The start of the response body (for the delivery log). */
  responseBody?: string;
  durationMs: number;
}

const MAX_LOGGED_BODY = 1024;

export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(req.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Stint-Webhooks/1',
        ...signedHeaders(req.secret, req.messageId, req.payload, new Date()),
      },
      body: req.payload,
      redirect: 'manual',
      signal,
    });
    const responseBody = await readStart(res, MAX_LOGGED_BODY);
    const ok = res.status >= 200 && res.status < 300;
    const out: SendResult = { ok, statusCode: res.status, durationMs: elapsed() };
    if (responseBody !== '') out.responseBody = responseBody;
    if (!ok)
      out.error = res.status >= 300 && res.status < 400 ? 'redirects are not followed' : `HTTP ${res.status}`;
    return out;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const reason = timeout.aborted
      ? `timed out after ${req.timeoutMs} ms`
      : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, error: String(reason).slice(0, 500), durationMs: elapsed() };
  }
}

async function readStart(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a broken body still leaves the status code
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
