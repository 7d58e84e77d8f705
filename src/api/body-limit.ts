/**
 * Oversize request bodies, for every method and route: a 413 with the Google error body, and a
 * connection the client can still read it on. Answering before the body is read is the hazard:
 * closing then (Fastify's `Connection: close`) resets the socket under the client's write, which
 * it sees as EPIPE/ECONNRESET instead of the answer. So the rest of the body is read and dropped
 * (up to a bound) after the answer, and the connection stays open for the next request.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StintError } from '../domain/errors.ts';

export const PAYLOAD_TOO_LARGE = 413;

/** INVALID_ARGUMENT (as Google APIs word it), sent with HTTP 413: clients do not retry it. */
export class BodyTooLarge extends StintError {
  constructor(limit: number) {
    super('INVALID_ARGUMENT', `Request payload size exceeds the limit: ${limit} bytes.`, {
      reason: 'BODY_TOO_LARGE',
      metadata: { limitBytes: String(limit) },
    });
  }
}

/** Methods Fastify answers without reading a body: an oversize one must be counted here. */
const UNPARSED = new Set(['GET', 'HEAD', 'TRACE']);

/**
 * Refuses a request whose declared body is over `limit` (any method, before auth and routing);
 * a chunked body on a method Fastify does not parse is read and counted. Others are counted by
 * Fastify's parser (FST_ERR_CTP_BODY_TOO_LARGE).
 */
export function checkBodySize(req: FastifyRequest, limit: number): Promise<void> | undefined {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw new BodyTooLarge(limit);
  if (req.headers['transfer-encoding'] !== undefined && UNPARSED.has(req.method)) {
    return countBody(req.raw, limit);
  }
  return undefined;
}

function countBody(raw: IncomingMessage, limit: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const done = (err?: Error) => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) done(new BodyTooLarge(limit));
    };
    const onEnd = (err?: Error) => done(err);
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onEnd);
  });
}

/**
 * Before an answer goes out while the request body is still arriving: read and drop the rest (at
 * most `cap` bytes, then the socket is closed), and keep the connection instead of closing it
 * under the client's write.
 */
export function drainUnreadBody(req: FastifyRequest, reply: FastifyReply, cap: number): void {
  const raw = req.raw;
  if (raw.complete || raw.destroyed) return;
  reply.removeHeader('connection');
  let dropped = 0;
  raw.removeAllListeners('data');
  raw.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    // A client that keeps sending far past the limit loses the connection (after the answer was sent).
    if (dropped > cap) raw.socket?.destroy();
  });
  raw.resume();
}

/** How much of an oversize body is read and dropped after the answer. */
export function drainCap(limit: number): number {
  return Math.max(64 * 1024 * 1024, 16 * limit);
}
