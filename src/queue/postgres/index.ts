/**
 * What a process needs to share a PostgreSQL store with others: one LISTEN connection, the lease
 * queue its worker claims from, and the bridge that carries session events between processes.
 */
import type { Logger } from 'pino';
import type { SessionEvents } from '../../services/events.ts';
import type { Backoff, Store } from '../../store/store.ts';
import { SESSION_CHANNEL, SessionEventBridge } from './event-bridge.ts';
import { PgListener } from './pg-listener.ts';
import { PostgresQueue, WORK_CHANNEL } from './postgres-queue.ts';

export interface PostgresCoordinationOptions {
  url: string;
  store: Store;
  events: SessionEvents;
  log: Logger;
  leaseMs: number;
  backoff?: Backoff;
  /** Re-emit other processes' changes locally (processes that serve the API and live views). */
  forwardChanges: boolean;
  /** Whether this process's worker drives the session now (for cross-process stop). */
  isDriving: (sessionId: string) => boolean;
}

export interface PostgresCoordination {
  queue: PostgresQueue;
  bridge: SessionEventBridge;
  close(): Promise<void>;
}

export async function startPostgresCoordination(
  opts: PostgresCoordinationOptions,
): Promise<PostgresCoordination> {
  const listener = new PgListener(opts.url, [WORK_CHANNEL, SESSION_CHANNEL], opts.log);
  await listener.start();
  const queue = new PostgresQueue(opts.store, listener, opts.events, {
    leaseMs: opts.leaseMs,
    log: opts.log,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  });
  const bridge = new SessionEventBridge(opts.store, listener, opts.events, {
    forwardChanges: opts.forwardChanges,
    isDriving: opts.isDriving,
    onError: (err) => opts.log.warn({ err }, 'handling a session notification failed'),
  });
  return {
    queue,
    bridge,
    async close() {
      bridge.close();
      await queue.close();
      await listener.close();
    },
  };
}
