import type { Kysely } from 'kysely';
import type { Activity, NewActivity } from '../../domain/activity.ts';
import type { Session, SessionWork } from '../../domain/session.ts';
import type { SessionState } from '../../domain/states.ts';
import type { SecurityStore } from '../security-store.ts';
import type {
  ActivityPage,
  ApiKeyRecord,
  Backoff,
  MutateOptions,
  MutateResult,
  ReleaseOutcome,
  SessionMutator,
  SessionPage,
  SessionRecord,
  SourceRecord,
  Store,
  StoreCapabilities,
} from '../store.ts';
import * as access from './access-queries.ts';
import * as acts from './activity-queries.ts';
import type { SqlAdapter } from './adapter.ts';
import { SqlIdempotencyStore } from './idempotency-queries.ts';
import { SqlPinStore } from './pin-queries.ts';
import * as queue from './queue-queries.ts';
import type { DB } from './schema.ts';
import { sqlSecurityStore } from './security-queries.ts';
import { SqlSessionFeedStore } from './session-feed-queries.ts';
import * as sessions from './session-queries.ts';
import { SqlStatsStore } from './stats-queries.ts';
import { SqlWebhookStore } from './webhook-queries.ts';
import * as workspaces from './workspace-queries.ts';

/** The Store over any SQL database Kysely speaks; the adapter supplies what differs. */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  readonly writerId?: string;
  readonly #db: Kysely<DB>;
  readonly #adapter: SqlAdapter;
  readonly #onClose: () => Promise<void>;
  readonly security: SecurityStore;
  readonly webhooks: SqlWebhookStore;
  readonly idempotency: SqlIdempotencyStore;
  readonly sessionFeed: SqlSessionFeedStore;
  readonly stats: SqlStatsStore;
  readonly pins: SqlPinStore;

  constructor(db: Kysely<DB>, adapter: SqlAdapter, onClose: () => Promise<void> = async () => {}) {
    this.#db = db;
    this.#adapter = adapter;
    this.kind = adapter.kind;
    this.capabilities = adapter.capabilities;
    if (adapter.writerId !== undefined) this.writerId = adapter.writerId;
    this.#onClose = onClose;
    this.security = sqlSecurityStore(db, adapter);
    this.webhooks = new SqlWebhookStore(db, adapter);
    this.idempotency = new SqlIdempotencyStore(db, adapter);
    this.sessionFeed = new SqlSessionFeedStore(db);
    this.stats = new SqlStatsStore(db, adapter);
    this.pins = new SqlPinStore(db);
  }

  /** The underlying Kysely instance, for migrations, tests and benchmarks. */
  get db(): Kysely<DB> {
    return this.#db;
  }

  async close(): Promise<void> {
    await this.#db.destroy();
    await this.#onClose();
  }

  getMeta(key: string) {
    return access.getMeta(this.#db, key);
  }
  ensureMeta(key: string, value: string) {
    return access.ensureMeta(this.#db, key, value);
  }
  ensureTenant(id: string, name: string) {
    return access.ensureTenant(this.#db, this.#adapter, id, name);
  }
  createApiKey(key: ApiKeyRecord) {
    return access.createApiKey(this.#db, key);
  }
  findApiKeyByHash(hash: string) {
    return access.findApiKeyByHash(this.#db, hash);
  }
  listApiKeys(tenantId?: string) {
    return access.listApiKeys(this.#db, tenantId);
  }
  revokeApiKey(id: string) {
    return access.revokeApiKey(this.#db, id);
  }
  putSource(source: SourceRecord) {
    return access.putSource(this.#db, source);
  }
  getSource(tenantId: string, id: string) {
    return access.getSource(this.#db, tenantId, id);
  }
  listSources(tenantId: string, page: { afterId?: string; limit: number }) {
    return access.listSources(this.#db, tenantId, page);
  }
  deleteSource(tenantId: string, id: string) {
    return access.deleteSource(this.#db, tenantId, id);
  }

  createSession(
    session: Session,
    work: Pick<SessionWork, 'wantsWork'>,
    activities: NewActivity[],
  ): Promise<SessionRecord> {
    return sessions.createSession(this.#db, this.#adapter, session, work, activities);
  }
  getSession(id: string, tenantId?: string) {
    return sessions.getSession(this.#db, this.#adapter, id, tenantId);
  }
  listSessions(tenantId: string, page: SessionPage): Promise<Session[]> {
    return sessions.listSessions(this.#db, tenantId, page);
  }
  deleteSession(id: string, tenantId?: string) {
    return sessions.deleteSession(this.#db, this.#adapter, id, tenantId);
  }
  mutateSession<T = undefined>(
    id: string,
    mutator: SessionMutator<T>,
    opts?: MutateOptions,
  ): Promise<MutateResult<T> | undefined> {
    return sessions.mutateSession(this.#db, this.#adapter, id, mutator, opts);
  }
  countSessionsByState(tenantId?: string): Promise<Partial<Record<SessionState, number>>> {
    return sessions.countSessionsByState(this.#db, tenantId);
  }

  loadTranscript(sessionId: string) {
    return sessions.loadTranscript(this.#db, sessionId);
  }

  listActivities(sessionId: string, page: ActivityPage): Promise<Activity[]> {
    return acts.listActivities(this.#db, sessionId, page);
  }
  getActivity(sessionId: string, activityId: string) {
    return acts.getActivity(this.#db, sessionId, activityId);
  }

  claimSession(owner: string, leaseMs: number, backoff?: Backoff) {
    return queue.claimSession(this.#db, this.#adapter, owner, leaseMs, backoff);
  }
  renewLease(id: string, owner: string, leaseMs: number) {
    return queue.renewLease(this.#db, this.#adapter, id, owner, leaseMs);
  }
  releaseLease(id: string, owner: string, outcome?: ReleaseOutcome, backoff?: Backoff) {
    return queue.releaseLease(this.#db, this.#adapter, id, owner, outcome, backoff);
  }
  releaseAllLeases() {
    return queue.releaseAllLeases(this.#db);
  }
  releaseExpiredLeases() {
    return queue.releaseExpiredLeases(this.#db, this.#adapter);
  }
  getWorkspaceSnapshot(sessionId: string) {
    return workspaces.getWorkspaceSnapshot(this.#db, sessionId);
  }
}
