/**
 * A server-sent-events response on a hijacked Fastify reply: headers, events with backpressure,
 * comment heartbeats, and an AbortSignal that fires when the client goes away or the stream is
 * closed (server shutdown).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseOptions {
  /** A comment line is sent when nothing else was for this long. */
  heartbeatMs: number;
  /** Reconnection delay suggested to EventSource clients. */
  retryMs?: number;
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export class SseStream {
  readonly #reply: FastifyReply;
  readonly #abort = new AbortController();
  readonly #heartbeat: NodeJS.Timeout;
  #lastWrite = Date.now();

  constructor(_req: FastifyRequest, reply: FastifyReply, opts: SseOptions) {
    this.#reply = reply;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(`retry: ${opts.retryMs ?? 2000}\n\n`);
    // 'close' fires when the client goes away (or once the response has ended).
    const gone = () => this.#abort.abort();
    raw.once('close', gone);
    raw.once('error', gone);
    this.#heartbeat = setInterval(
      () => {
        if (Date.now() - this.#lastWrite >= opts.heartbeatMs) void this.comment('heartbeat');
      },
      Math.max(50, Math.floor(opts.heartbeatMs / 2)),
    );
    this.#heartbeat.unref();
    this.#abort.signal.addEventListener('abort', () => clearInterval(this.#heartbeat), { once: true });
  }

  /** Aborts when the client disconnects or the stream is closed. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  send(e: SseEvent): Promise<void> {
    let text = '';
    if (e.id !== undefined) text += `id: ${e.id}\n`;
    if (e.event !== undefined) text += `event: ${e.event}\n`;
    for (const line of e.data.split('\n')) text += `data: ${line}\n`;
    return this.#write(`${text}\n`);
  }

  comment(text: string): Promise<void> {
    return this.#write(`: ${text.replace(/\n/g, ' ')}\n\n`);
  }

  /** Ends the response (idempotent). */
  close(): void {
    if (!this.#reply.raw.writableEnded) this.#reply.raw.end();
    this.#abort.abort();
  }

  async #write(chunk: string): Promise<void> {
    const raw = this.#reply.raw;
    if (this.closed || raw.writableEnded || raw.destroyed) return;
    this.#lastWrite = Date.now();
    if (raw.write(chunk)) return;
    // Backpressure: wait for the socket to drain, or for the client to go away.
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      raw.once('drain', done);
      this.#abort.signal.addEventListener('abort', done, { once: true });
    });
  }
}
