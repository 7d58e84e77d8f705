/**
 * Table types of webhooks (migration 40) and idempotency keys (migration 41), kept beside
 * schema.ts: their queries use `db.withTables<ExtraTables>()`.
 */
import type { Generated } from 'kysely';

export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  /** The signing secret (whsec_...); needed in clear to sign, never logged. */
  secret: string;
  /** JSON array of event types; [] means every type. */
  event_types: string;
  disabled: number;
  create_time: number;
  update_time: number;
}

export interface WebhookOutboxTable {
  id: Generated<number>;
  tenant_id: string;
  session_id: string;
  /** created | state | activity | deleted */
  kind: string;
  seq: number | null;
  state: string | null;
  previous_state: string | null;
  create_time: number;
}

export interface WebhookEventsTable {
  id: string;
  tenant_id: string;
  type: string;
  session_id: string | null;
  /** The exact JSON body every delivery of this event sends. */
  payload: string;
  create_time: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  /** pending | succeeded | failed */
  status: string;
  attempts: number;
  next_attempt_time: number | null;
  window_start: number;
  last_attempt_time: number | null;
  last_status_code: number | null;
  last_error: string | null;
  /** 1 after a manual redelivery, until its attempt is logged. */
  manual: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  create_time: number;
  update_time: number;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  n: number;
  time: number;
  /** scheduled | manual */
  trigger: string;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
  duration_ms: number;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  fingerprint: string;
  /** pending | done */
  state: string;
  lock_expires_at: number;
  status_code: number | null;
  response: string | null;
  content_type: string | null;
  create_time: number;
  expire_time: number;
}

export type ExtraTables = {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_outbox: WebhookOutboxTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  idempotency_keys: IdempotencyKeysTable;
};
