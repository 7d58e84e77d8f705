/**
 * One dedicated PostgreSQL connection per process that LISTENs on Stint's channels and hands each
 * notification to its subscribers. It reconnects with backoff when the connection drops and then
 * tells subscribers that notifications may have been missed, so they can re-read the store.
 */
import pg from 'pg';
import type { Logger } from 'pino';

type Handler = (payload: string) => void;

const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

export class PgListener {
  readonly #url: string;
  readonly #channels: readonly string[];
  readonly #log: Logger;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #reconnected = new Set<() => void>();
  #client: pg.Client | undefined;
  #retryMs = MIN_RETRY_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(url: string, channels: readonly string[], log: Logger) {
    this.#url = url;
    this.#channels = channels;
    this.#log = log;
  }

  /** Connects and listens; throws if the first connection fails. */
  async start(): Promise<void> {
    this.#client = await this.#connect();
  }

  on(channel: string, handler: Handler): () => void {
    if (!this.#channels.includes(channel)) throw new Error(`not listening on ${channel}`);
    const set = this.#handlers.get(channel) ?? new Set<Handler>();
    this.#handlers.set(channel, set);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called after a dropped connection is re-established (notifications meanwhile are lost). */
  onReconnect(handler: () => void): () => void {
    this.#reconnected.add(handler);
    return () => this.#reconnected.delete(handler);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: 'stint-listener',
      keepAlive: true,
    });
    client.on('notification', (n) => {
      for (const h of this.#handlers.get(n.channel) ?? []) {
        try {
          h(n.payload ?? '');
        } catch (e) {
          this.#log.error({ err: e, channel: n.channel }, 'notification handler failed');
        }
      }
    });
    client.on('error', (e) => {
      this.#log.warn({ err: e }, 'database notification connection failed');
      this.#lost(client);
    });
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      for (const ch of this.#channels) await client.query(`listen ${client.escapeIdentifier(ch)}`);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return client;
  }

  #lost(client: pg.Client): void {
    if (this.#closed || client !== this.#client) return;
    this.#client = undefined;
    void client.end().catch(() => {});
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#reconnect(), this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }

  async #reconnect(): Promise<void> {
    if (this.#closed) return;
    let client: pg.Client;
    try {
      client = await this.#connect();
    } catch (e) {
      this.#log.warn({ err: e }, 'reconnecting the database notification connection failed');
      this.#schedule();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#retryMs = MIN_RETRY_MS;
    this.#log.info('database notification connection re-established');
    for (const h of this.#reconnected) h();
  }
}
