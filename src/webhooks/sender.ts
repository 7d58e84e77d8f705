/**
 * One HTTP attempt of a delivery: POST the payload, signed; 2xx is success, anything else a failure.
 * The target is checked after resolution and the socket connects to the checked address only
 * (target-guard.ts); redirects are never followed; the response body is never read, so nothing a
 * receiver answers (or a service it is not) reaches the delivery log: status and timing only.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { signedHeaders } from './signing.ts';
import {
  pinnedLookup,
  resolveTarget,
  STRICT_TARGETS,
  type TargetPolicy,
  TargetRefused,
  urlHost,
} from './target-guard.ts';

export interface SendRequest {
  url: string;
  secret: string;
  messageId: string;
  payload: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Which addresses may be reached; default: public ones only. */
  targets?: TargetPolicy;
}

export interface SendResult {
  ok: boolean;
  statusCode?: number;
  error?: string;
  durationMs: number;
  /** The address the request went to, for the server's log. */
  address?: string;
  /** The target's address is not allowed: retrying will not help. */
  refused?: boolean;
}

export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const elapsed = () => Math.round(performance.now() - started);
  let address: string | undefined;
  try {
    const url = new URL(req.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('url must be http(s)');
    const target = await resolveTarget(urlHost(url), req.targets ?? STRICT_TARGETS);
    address = target.address;
    signal.throwIfAborted();
    const status = await post(url, pinnedLookup(target), req, signal);
    const ok = status >= 200 && status < 300;
    const out: SendResult = { ok, statusCode: status, durationMs: elapsed(), address };
    if (!ok) out.error = status >= 300 && status < 400 ? 'redirects are not followed' : `HTTP ${status}`;
    return out;
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
    const reason =
      e instanceof TargetRefused
        ? `refused: ${err.message}`
        : timeout.aborted
          ? `timed out after ${req.timeoutMs} ms`
          : (err.code ?? err.cause?.code ?? err.cause?.message ?? err.message);
    const out: SendResult = { ok: false, error: String(reason).slice(0, 500), durationMs: elapsed() };
    if (address !== undefined) out.address = address;
    if (e instanceof TargetRefused) out.refused = true;
    return out;
  }
}

/** POSTs and resolves with the status code as soon as the headers are in; the body is discarded. */
function post(url: URL, lookup: LookupFunction, req: SendRequest, signal: AbortSignal): Promise<number> {
  const body = Buffer.from(req.payload, 'utf8');
  const headers = {
    'content-type': 'application/json',
    'content-length': String(body.byteLength),
    'user-agent': 'Stint-Webhooks/1',
    ...signedHeaders(req.secret, req.messageId, req.payload, new Date()),
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const r = request(
      url,
      // `lookup` pins the connection to the checked address (for a literal, it is the host itself).
      { method: 'POST', headers, lookup, agent: false, signal },
      (res: IncomingMessage) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}
