/**
 * The Store: everything Stint persists. Callers depend only on this interface;
 * sqlite/ and postgres/ implement it. Every state change of a session and the
 * activities it causes are committed in one transaction by `mutateSession`.
 */
import type { Activity, NewActivity, Plan } from '../domain/activity.ts';
import type { PendingDelivery, Session, SessionWork } from '../domain/session.ts';
import type { SessionState } from '../domain/states.ts';
import type { Micros } from '../domain/time.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { PinStore } from './pin-store.ts';
import type { SecurityStore } from './security-store.ts';
import type { SessionFeedStore } from './session-feed-store.ts';
import type { StatsStore } from './stats-store.ts';
import type { WebhookStore } from './webhook-store.ts';

export interface StoreCapabilities {
  /** Row locks that other transactions skip (PostgreSQL). */
  readonly skipLocked: boolean;
  /** Several processes may share the store (PostgreSQL). */
  readonly multiProcess: boolean;
}

export type KeyRole = 'admin' | 'member';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  hash: string;
  role: KeyRole;
  createTime: Micros;
  revoked: boolean;
}

export interface SourceRecord {
  tenantId: string;
  /** provider/owner/repo */
  id: string;
  gitUrl: string;
  defaultBranch?: string;
  isPrivate: boolean;
  /** Provider-specific settings (JSON). */
  config: Record<string, unknown>;
  createTime: Micros;
}

export interface SessionRecord {
  session: Session;
  work: SessionWork;
}

/** What a session mutation asks for; the store applies it atomically. */
export interface SessionChange {
  state?: SessionState;
  title?: string;
  archived?: boolean;
  outputs?: Session['outputs'];
  wantsWork?: boolean;
  /** null clears it. */
  resumeState?: SessionState | null;
  /** Replaces the session's latest plan. */
  plan?: Plan;
  /** Appends one step of the agent's transcript (a base drops the entries before it). */
  transcript?: TranscriptEntry;
  /** Replaces the session's model usage (cumulative, as the agent reports it). */
  usage?: Session['usage'];
  /** Mark activities up to this seq as seen by the agent. */
  lastSeq?: number;
  activities?: NewActivity[];
  /** Records (or, null, clears) the delivery the `done` commit leaves pending. */
  delivery?: PendingDelivery | null;
  /** Records the commit the session's checkout was made from. */
  baseCommitId?: string;
  /** Replaces the session's workspace snapshot (multi-node resume), atomically with the rest. */
  workspace?: WorkspaceSnapshot;
}

/** A session's working tree as of a committed step: `patch` applied on `baseCommitId` rebuilds it. */
export interface WorkspaceSnapshot {
  baseCommitId: string;
  /** Git tree id of the working tree; equal trees need no rebuild. */
  treeId: string;
  /** `git diff --binary` from baseCommitId (ASCII); '' when unchanged. */
  patch: string;
}

/** How long a session waits before its next attempt: baseMs doubled per attempt, at most maxMs. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 2000, maxMs: 5 * 60_000 };

/** How a worker's attempt at a session ended, when it releases the lease. */
export type ReleaseOutcome =
  /** Ran to a clean stop (or the session was stopped by a user): attempts start over. */
  | { kind: 'done' }
  /** Not the session's fault (shutdown, the store was briefly unreachable): not counted. */
  | { kind: 'interrupted'; retryAfterMs?: number }
  /** The attempt failed: recorded as the last error; the next one waits (backoff). */
  | { kind: 'failed'; error: string };

/**
 * One committed step of an agent's checkpoint: `base` holds it whole; `delta` what changed since the
 * previous entry (see src/runner/transcript-log.ts). The store keeps them opaque (JSON).
 */
export interface TranscriptEntry {
  kind: 'base' | 'delta';
  body: unknown;
}

export interface MutateOptions {
  /** Only mutate a session of this tenant (else NOT_FOUND semantics: undefined). */
  tenantId?: string;
  /** Fail with LeaseLostError unless this worker holds the session's lease. */
  leaseOwner?: string;
}

export interface MutateResult<T> {
  record: SessionRecord;
  activities: Activity[];
  value: T;
}

/** Decides a change from the locked current record. Must be pure; may throw to abort. */
export type SessionMutator<T> = (current: SessionRecord) => { change: SessionChange; value?: T };

export interface SessionPage {
  after?: { createTime: Micros; id: string };
  limit: number;
  archived: boolean;
  state?: SessionState;
  source?: string;
}

export interface ActivityPage {
  afterSeq?: number;
  afterTime?: Micros;
  limit: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  /**
   * Where several processes share the store (PostgreSQL): the id its change notifications carry for
   * writes made through this store, so a process can tell its own changes from others'.
   */
  readonly writerId?: string;
  /** Tenants' limits, secrets and the audit log. */
  readonly security: SecurityStore;
  /** Webhook endpoints, outbox, deliveries and attempts. */
  readonly webhooks: WebhookStore;
  /** Idempotency-Key reservations and recorded responses. */
  readonly idempotency: IdempotencyStore;
  /** Sessions by last change, for the session stream. */
  readonly sessionFeed: SessionFeedStore;
  /** Counts for metrics. */
  readonly stats: StatsStore;
  /** Reference-counted pins of commits in source mirrors. */
  readonly pins: PinStore;
  close(): Promise<void>;

  getMeta(key: string): Promise<string | undefined>;
  /** Stores value under key unless present; returns the stored value either way. */
  ensureMeta(key: string, value: string): Promise<string>;

  ensureTenant(id: string, name: string): Promise<void>;
  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string): Promise<boolean>;

  putSource(source: SourceRecord): Promise<void>;
  getSource(tenantId: string, id: string): Promise<SourceRecord | undefined>;
  listSources(tenantId: string, page: { afterId?: string; limit: number }): Promise<SourceRecord[]>;
  deleteSource(tenantId: string, id: string): Promise<boolean>;

  createSession(
    session: Session,
    work: Pick<SessionWork, 'wantsWork'>,
    activities: NewActivity[],
  ): Promise<SessionRecord>;
  getSession(id: string, tenantId?: string): Promise<SessionRecord | undefined>;
  listSessions(tenantId: string, page: SessionPage): Promise<Session[]>;
  deleteSession(id: string, tenantId?: string): Promise<boolean>;
  mutateSession<T = undefined>(
    id: string,
    mutator: SessionMutator<T>,
    opts?: MutateOptions,
  ): Promise<MutateResult<T> | undefined>;

  /** The session's transcript entries from its latest base, in order (for the agent that resumes it). */
  loadTranscript(sessionId: string): Promise<TranscriptEntry[]>;

  listActivities(sessionId: string, page: ActivityPage): Promise<Activity[]>;
  getActivity(sessionId: string, activityId: string): Promise<Activity | undefined>;

  /**
   * Claims one session that wants work, is due (run_at) and has no live lease: counts the attempt
   * and, pessimistically, backs the session off as if this attempt were to die with its worker.
   */
  claimSession(owner: string, leaseMs: number, backoff?: Backoff): Promise<string | undefined>;
  renewLease(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Drops the lease if `owner` holds it, recording how the attempt ended (default: done). */
  releaseLease(id: string, owner: string, outcome?: ReleaseOutcome, backoff?: Backoff): Promise<void>;
  /** Drops every lease (single-node start-up after a crash). */
  releaseAllLeases(): Promise<number>;
  /** Drops only expired leases (many workers: the others' live leases stay). */
  releaseExpiredLeases(): Promise<number>;
  getWorkspaceSnapshot(sessionId: string): Promise<WorkspaceSnapshot | undefined>;
  countSessionsByState(tenantId?: string): Promise<Partial<Record<SessionState, number>>>;
}

export class LeaseLostError extends Error {
  constructor(sessionId: string) {
    super(`lease on session ${sessionId} was lost`);
    this.name = 'LeaseLostError';
  }
}
