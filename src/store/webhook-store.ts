/**
 * What Stint persists for webhooks: endpoints per tenant, the outbox the database fills in the same
 * transaction as each session change, events, deliveries (one per event and endpoint) and the log of
 * every delivery attempt. A delivery is sent by whichever process leases it; a lease that is not
 * recorded in time (a crash) expires and the delivery is sent again.
 */
import type { Activity } from '../domain/activity.ts';
import type { Session } from '../domain/session.ts';
import type { SessionState } from '../domain/states.ts';
import type { Micros } from '../domain/time.ts';

export interface WebhookEndpointRecord {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  secret: string;
  /** Event types delivered; empty: every type. */
  eventTypes: string[];
  disabled: boolean;
  createTime: Micros;
  updateTime: Micros;
}

export type WebhookEndpointPatch = Partial<
  Pick<WebhookEndpointRecord, 'url' | 'description' | 'secret' | 'eventTypes' | 'disabled'>
>;

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveryRecord {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due (pending only). */
  nextAttemptTime?: Micros;
  /** Start of the retry window (creation, or the last manual redelivery). */
  windowStart: Micros;
  lastAttemptTime?: Micros;
  lastStatusCode?: number;
  lastError?: string;
  createTime: Micros;
  updateTime: Micros;
}

export interface WebhookAttemptRecord {
  deliveryId: string;
  /** 1-based attempt number. */
  n: number;
  time: Micros;
  trigger: 'scheduled' | 'manual';
  statusCode?: number;
  error?: string;
  /** The start of the receiver's answer, for the delivery log. */
  responseBody?: string;
  durationMs: number;
}

/** A change the database queued for webhooks, with what is needed to describe it. */
export interface OutboxItem {
  id: number;
  tenantId: string;
  sessionId: string;
  kind: 'created' | 'state' | 'activity' | 'deleted';
  /** The new state (created, state, deleted). */
  state?: SessionState;
  previousState?: SessionState;
  createTime: Micros;
  /** The session as it is now; absent once deleted. */
  session?: Session;
  /** The appended activity (kind activity); absent if deleted since. */
  activity?: Activity;
  /** For a change to FAILED: the reason of the session's latest sessionFailed activity. */
  failureReason?: string;
}

/** An event to deliver: `payload` is the exact JSON body sent. */
export interface WebhookEventDraft {
  id: string;
  type: string;
  sessionId?: string;
  payload: string;
  createTime: Micros;
}

/** A delivery leased for sending, with what sending needs. */
export interface DueDelivery {
  delivery: WebhookDeliveryRecord;
  url: string;
  secret: string;
  payload: string;
}

export interface AttemptOutcome {
  attempt: Omit<WebhookAttemptRecord, 'deliveryId' | 'n' | 'trigger'>;
  status: DeliveryStatus;
  /** Required when status stays pending. */
  nextAttemptTime?: Micros;
}

export interface DeliveryPage {
  after?: { createTime: Micros; id: string };
  limit: number;
  status?: DeliveryStatus;
}

export interface WebhookStore {
  createEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  getEndpoint(tenantId: string, id: string): Promise<WebhookEndpointRecord | undefined>;
  listEndpoints(
    tenantId: string,
    page: { afterId?: string; limit: number },
  ): Promise<WebhookEndpointRecord[]>;
  updateEndpoint(
    tenantId: string,
    id: string,
    patch: WebhookEndpointPatch,
  ): Promise<WebhookEndpointRecord | undefined>;
  deleteEndpoint(tenantId: string, id: string): Promise<boolean>;

  /**
   * Takes up to `limit` outbox items and, in one transaction, records the events `build` makes of
   * them with one delivery per enabled endpoint of the tenant whose filter matches, and removes the
   * items. Returns how many items were taken (0: the outbox is empty).
   */
  fanOut(limit: number, build: (item: OutboxItem) => WebhookEventDraft[]): Promise<number>;
  /** Records an event for the given endpoints of a tenant (e.g. a test ping); returns the deliveries. */
  enqueue(
    tenantId: string,
    event: WebhookEventDraft,
    endpointIds: string[],
  ): Promise<WebhookDeliveryRecord[]>;

  /** Leases up to `limit` pending deliveries that are due, of enabled endpoints. */
  claimDue(owner: string, leaseMs: number, limit: number): Promise<DueDelivery[]>;
  /** Drops every delivery lease (single-process store at start-up: leases left are from a crash). */
  releaseAllLeases(): Promise<number>;
  /** The earliest next attempt of any pending delivery that is not leased. */
  nextDueTime(): Promise<Micros | undefined>;
  /** Logs an attempt and updates the delivery, if `owner` still holds its lease. */
  recordAttempt(deliveryId: string, owner: string, outcome: AttemptOutcome): Promise<boolean>;

  listDeliveries(tenantId: string, endpointId: string, page: DeliveryPage): Promise<WebhookDeliveryRecord[]>;
  getDelivery(
    tenantId: string,
    endpointId: string,
    id: string,
  ): Promise<
    { delivery: WebhookDeliveryRecord; attempts: WebhookAttemptRecord[]; payload: string } | undefined
  >;
  /** Makes a delivery pending and due now with a new retry window; its next attempt is `manual`. */
  redeliver(tenantId: string, endpointId: string, id: string): Promise<WebhookDeliveryRecord | undefined>;

  countDeliveries(): Promise<Record<DeliveryStatus, number>>;
  /** Deletes finished deliveries (and events left without any) created before `before`. */
  purge(before: Micros): Promise<number>;
}
