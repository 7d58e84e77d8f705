/**
 * Sends webhooks. One loop per server process: it turns the outbox (filled by the database in the
 * same transaction as each session change) into deliveries, leases the deliveries that are due,
 * sends them with bounded concurrency and logs every attempt, scheduling retries with exponential
 * backoff for the retry window. Everything it works from is in the store, so a restart resumes where
 * it was (after a crash, leases expire; a single-process store frees them at start); any number of
 * processes may run one against a shared store. In-process session events only wake it early; a
 * short poll covers the rest.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SessionEvents } from '../services/events.ts';
import type { Store } from '../store/store.ts';
import type { DueDelivery } from '../store/webhook-store.ts';
import { DEFAULT_RETRY, type RetryPolicy, retryDelayMs, withinWindow } from './backoff.ts';
import { eventsFor } from './payloads.ts';
import { type SendResult, sendWebhook } from './sender.ts';
import { STRICT_TARGETS, type TargetPolicy } from './target-guard.ts';

export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed';

export interface DispatcherOptions {
  retry: RetryPolicy;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts in flight at once. */
  concurrency: number;
  /** Longest sleep between two looks at the store. */
  pollMs: number;
  /** Finished deliveries are kept this long in the log. */
  retentionMs: number;
  /** Which addresses webhooks may reach (STINT_WEBHOOK_ALLOW_PRIVATE); default public only. */
  targets: TargetPolicy;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = Object.freeze({
  retry: DEFAULT_RETRY,
  timeoutMs: 15_000,
  concurrency: 8,
  pollMs: 1_000,
  retentionMs: 14 * 24 * 3600_000,
  targets: STRICT_TARGETS,
});

export interface DispatcherDeps {
  store: Store;
  events: SessionEvents;
  log: Logger;
  /** Origin for session urls in payloads. */
  baseUrl: () => string;
  /** Called after every attempt (metrics). */
  onAttempt?: (outcome: DeliveryOutcome, result: SendResult) => void;
}

const OUTBOX_BATCH = 100;
const HOUSEKEEPING_MS = 3600_000;

export class WebhookDispatcher {
  readonly owner = `webhooks-${randomUUID()}`;
  readonly #deps: DispatcherDeps;
  readonly #opts: DispatcherOptions;
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();
  #wake: (() => void) | undefined;
  #woken = false;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #lastHousekeeping = 0;

  constructor(deps: DispatcherDeps, opts: Partial<DispatcherOptions> = {}) {
    this.#deps = deps;
    this.#opts = { ...DEFAULT_DISPATCHER_OPTIONS, ...opts };
  }

  start(): void {
    if (this.#loop) return;
    this.#unsubscribe = this.#deps.events.onChanged(() => this.wake());
    this.#loop = this.#recover().then(() => this.#run());
  }

  /** A store no other process uses (SQLite): leases left behind are a crashed run's; free them now. */
  async #recover(): Promise<void> {
    if (this.#deps.store.capabilities.multiProcess) return;
    try {
      await this.#deps.store.webhooks.releaseAllLeases();
    } catch (e) {
      this.#deps.log.warn({ err: e }, 'could not release webhook leases; they expire on their own');
    }
  }

  /** Look at the store now (new events, a redelivery). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Stops taking work and waits (up to graceMs) for attempts in flight to be logged. */
  async stop(graceMs = 5000): Promise<void> {
    this.#unsubscribe?.();
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
    const all = Promise.allSettled([...this.#inflight.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      this.#woken = false;
      let sleepMs = this.#opts.pollMs;
      try {
        await this.#fanOut();
        await this.#housekeeping();
        if (this.#inflight.size < this.#opts.concurrency) {
          // A read first: the write transaction of a claim only when something is due.
          const next = await this.#deps.store.webhooks.nextDueTime();
          if (next !== undefined && next <= Date.now() * 1000 && (await this.#sendDue()) > 0) continue;
          if (next !== undefined) sleepMs = Math.min(sleepMs, Math.ceil((next - Date.now() * 1000) / 1000));
        }
      } catch (e) {
        this.#deps.log.warn({ err: e }, 'webhook dispatch failed; retrying');
      }
      if (!this.#woken && !signal.aborted) await this.#sleep(Math.max(sleepMs, 10));
    }
  }

  async #fanOut(): Promise<void> {
    const base = this.#deps.baseUrl();
    for (let i = 0; i < 100; i++) {
      const n = await this.#deps.store.webhooks.fanOut(OUTBOX_BATCH, (item) => eventsFor(item, base));
      if (n < OUTBOX_BATCH) return;
    }
  }

  /** Leases what is due (up to the free slots) and starts sending it; returns how many. */
  async #sendDue(): Promise<number> {
    const free = this.#opts.concurrency - this.#inflight.size;
    if (free <= 0) return 0;
    const leaseMs = this.#opts.timeoutMs + 15_000;
    const due = await this.#deps.store.webhooks.claimDue(this.owner, leaseMs, free);
    for (const d of due) {
      const run = this.#attempt(d).finally(() => {
        this.#inflight.delete(d.delivery.id);
        this.wake();
      });
      this.#inflight.set(d.delivery.id, run);
    }
    return due.length;
  }

  async #attempt(d: DueDelivery): Promise<void> {
    const { delivery } = d;
    const result = await sendWebhook({
      url: d.url,
      secret: d.secret,
      messageId: delivery.eventId,
      payload: d.payload,
      timeoutMs: this.#opts.timeoutMs,
      targets: this.#opts.targets,
    });
    const nowUs = Date.now() * 1000;
    let outcome: DeliveryOutcome = 'succeeded';
    let nextAttemptTime: number | undefined;
    if (!result.ok) {
      const failures = delivery.attempts + 1;
      // A refused address is refused again on the next try: fail now, saying why.
      const keepTrying =
        !result.refused && withinWindow(delivery.windowStart / 1000, nowUs / 1000, this.#opts.retry);
      outcome = keepTrying ? 'retrying' : 'failed';
      if (keepTrying) nextAttemptTime = nowUs + retryDelayMs(failures, this.#opts.retry) * 1000;
    }
    const attempt: Parameters<Store['webhooks']['recordAttempt']>[2]['attempt'] = {
      time: nowUs,
      durationMs: result.durationMs,
    };
    if (result.statusCode !== undefined) attempt.statusCode = result.statusCode;
    if (result.error !== undefined) attempt.error = result.error;
    try {
      const recorded = await this.#deps.store.webhooks.recordAttempt(delivery.id, this.owner, {
        attempt,
        status: outcome === 'succeeded' ? 'succeeded' : outcome === 'failed' ? 'failed' : 'pending',
        ...(nextAttemptTime !== undefined ? { nextAttemptTime } : {}),
      });
      if (!recorded) this.#deps.log.warn({ delivery: delivery.id }, 'webhook delivery lease was lost');
    } catch (e) {
      this.#deps.log.error({ err: e, delivery: delivery.id }, 'could not log a webhook attempt');
    }
    this.#deps.onAttempt?.(outcome, result);
    if (outcome !== 'succeeded') {
      this.#deps.log.info(
        {
          delivery: delivery.id,
          endpoint: delivery.endpointId,
          status: result.statusCode,
          error: result.error,
          address: result.address,
          outcome,
        },
        'webhook attempt failed',
      );
    }
  }

  async #housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastHousekeeping < HOUSEKEEPING_MS) return;
    this.#lastHousekeeping = now;
    await this.#deps.store.webhooks.purge((now - this.#opts.retentionMs) * 1000);
    await this.#deps.store.idempotency.purgeExpired();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }
}
