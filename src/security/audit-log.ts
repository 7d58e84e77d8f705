/**
 * The audit log: every state-changing API call by an authenticated key (who, what, when, outcome)
 * and every change made with the `stint` CLI. Request bodies are never recorded (they may hold
 * prompts and secrets); the path names the resource.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { nowMicros } from '../domain/time.ts';
import type { Principal } from '../services/session-service.ts';
import type { AuditEntry, SecurityStore } from '../store/security-store.ts';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_PATH = 1024;

export class AuditLog {
  readonly #store: SecurityStore;
  readonly #log: Logger | undefined;
  readonly #pending = new Set<Promise<void>>();

  constructor(store: SecurityStore, log?: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /** Records an entry; failures are logged, never thrown at the caller. */
  record(entry: AuditEntry): Promise<void> {
    const p = this.#store
      .appendAudit(entry)
      .catch((err) => this.#log?.error({ err }, 'could not write the audit log'))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
    return p;
  }

  /** Waits for entries still being written. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  /** Records state-changing calls by authenticated keys once they are answered (429s excepted). */
  register(app: FastifyInstance): void {
    // Callback style: a read (every poll) returns at once, without a promise.
    app.addHook('onResponse', (req, reply, done) => {
      if (!CHANGES.has(req.method)) return done();
      const who = (req as FastifyRequest & { principal?: Principal }).principal;
      if (!who || reply.statusCode === 429) return done();
      const entry: AuditEntry = {
        time: nowMicros(),
        tenantId: who.tenantId,
        keyId: who.keyId,
        actor: 'api',
        method: req.method,
        path: req.url.split('?')[0]!.slice(0, MAX_PATH),
        status: reply.statusCode,
      };
      const route = req.routeOptions?.url;
      if (route) entry.detail = { route };
      this.record(entry).then(() => done());
    });
    app.addHook('onClose', async () => this.flush());
  }
}

/** An audit entry for a change made with the CLI on the server's machine. */
export function cliAudit(
  what: string,
  target: string,
  tenantId: string | null,
  detail?: Record<string, unknown>,
): AuditEntry {
  const entry: AuditEntry = {
    time: nowMicros(),
    tenantId,
    keyId: null,
    actor: 'cli',
    method: what,
    path: target,
    status: 0,
  };
  if (detail) entry.detail = detail;
  return entry;
}
