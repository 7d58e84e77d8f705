/**
 * A raw HTTP/1.1 client over net sockets on 127.0.0.1, for what fetch hides: it writes a whole
 * request body (declared length or chunked, fast or slow) even when the server answers early,
 * records every socket error (EPIPE, ECONNRESET), and can reuse the connection afterwards.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type BodyMode = 'length' | 'chunked';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Body size in bytes (filled with `x` inside a JSON string); 0: no body. */
  size: number;
  mode: BodyMode;
  /** Pause this long between chunks (a slow client). */
  gapMs?: number;
  chunkBytes?: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  /** Socket errors seen (a dropped connection), in order. */
  readonly errors: Error[] = [];
  ended = false;
  closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      this.#wake();
    });
    socket.on('error', (e) => {
      this.errors.push(e);
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  #write(data: string | Buffer): Promise<void> {
    if (this.#socket.destroyed || this.#socket.writableEnded) {
      return Promise.reject(new Error('write after the connection closed'));
    }
    return new Promise((resolve, reject) => {
      this.#socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Sends the request, writing the whole body; rejects on a socket error while writing. */
  async send(req: RawRequest): Promise<void> {
    const headers: Record<string, string> = { host: '127.0.0.1', ...req.headers };
    if (req.size > 0 && req.mode === 'length') headers['content-length'] = String(req.size);
    if (req.size > 0 && req.mode === 'chunked') headers['transfer-encoding'] = 'chunked';
    const head = `${req.method} ${req.path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    await this.#write(head);
    const body = jsonFiller(req.size);
    const step = req.chunkBytes ?? 64 * 1024;
    for (let at = 0; at < body.length; at += step) {
      const piece = body.subarray(at, at + step);
      await this.#write(
        req.mode === 'chunked'
          ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece,
      );
      if (req.gapMs) await sleep(req.gapMs);
    }
    if (req.size > 0 && req.mode === 'chunked') await this.#write('0\r\n\r\n');
  }

  /** The next complete response on this connection; rejects if the connection ends first or on timeout. */
  async response(timeoutMs = 30_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed) return parsed;
      if (this.errors.length) throw this.errors[0];
      if (this.ended || this.closed) throw new Error('connection ended before a complete response');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs}ms`);
      await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), sleep(Math.min(left, 1000))]);
    }
  }

  #parse(): RawResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    if (status === 100) {
      this.#buffer = this.#buffer.subarray(end + 4);
      return this.#parse();
    }
    if (headers['transfer-encoding']) throw new Error('chunked responses are not expected here');
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  /** Waits until the server closes the connection (or `ms` pass); true if it ended cleanly (FIN, no error). */
  async closedCleanly(ms = 10_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.ended && !this.closed && this.errors.length === 0 && Date.now() < deadline) {
      await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), sleep(200)]);
    }
    return this.ended && this.errors.length === 0;
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** `{"prompt":"xxxx…"}` padded to exactly `size` bytes (shorter sizes: just x's). */
function jsonFiller(size: number): Buffer {
  if (size < 14) return Buffer.alloc(size, 'x');
  const buf = Buffer.alloc(size, 'x');
  buf.write('{"prompt":"', 0);
  buf.write('"}', size - 2);
  return buf;
}

export interface Exchange {
  /** The response, or why there was none (a socket error while writing or reading). */
  res?: RawResponse;
  failure?: string;
  /** After the response: the connection served a second request, or was closed cleanly (FIN). */
  after?: 'reused' | 'closed cleanly' | string;
}

/**
 * One request on a fresh connection, its whole body written while the answer is read; then, if the
 * server kept the connection, a GET `followUp` on it, else a check that it was closed cleanly.
 */
export async function exchange(port: number, req: RawRequest, followUp = '/healthz'): Promise<Exchange> {
  const conn = await RawConnection.open(port);
  try {
    const reading = conn.response();
    reading.catch(() => {});
    try {
      await conn.send(req);
    } catch (e) {
      return { failure: `writing the body failed: ${(e as Error).message}` };
    }
    let res: RawResponse;
    try {
      res = await reading;
    } catch (e) {
      return { failure: `no response: ${(e as Error).message}` };
    }
    if (conn.errors.length) return { res, failure: `socket error ${conn.errors[0]!.message}` };
    if (res.headers.connection === 'close') {
      return { res, after: (await conn.closedCleanly()) ? 'closed cleanly' : 'not closed cleanly' };
    }
    const next = conn.response();
    next.catch(() => {});
    try {
      await conn.send({ method: 'GET', path: followUp, size: 0, mode: 'length' });
      const again = await next;
      return { res, after: again.status < 500 ? 'reused' : `follow-up answered ${again.status}` };
    } catch (e) {
      return { res, after: `unusable afterwards: ${(e as Error).message}` };
    }
  } finally {
    conn.close();
  }
}
