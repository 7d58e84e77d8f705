/** Mapping between webhook rows and records. */
import type { Selectable } from 'kysely';
import type {
  DeliveryStatus,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
} from '../webhook-store.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from './extra-schema.ts';

export function endpointToRow(e: WebhookEndpointRecord): WebhookEndpointsTable {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    url: e.url,
    description: e.description,
    secret: e.secret,
    event_types: JSON.stringify(e.eventTypes),
    disabled: e.disabled ? 1 : 0,
    create_time: e.createTime,
    update_time: e.updateTime,
  };
}

export function rowToEndpoint(r: Selectable<WebhookEndpointsTable>): WebhookEndpointRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    url: r.url,
    description: r.description,
    secret: r.secret,
    eventTypes: JSON.parse(r.event_types) as string[],
    disabled: Number(r.disabled) === 1,
    createTime: Number(r.create_time),
    updateTime: Number(r.update_time),
  };
}

export function rowToDelivery(r: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  const d: WebhookDeliveryRecord = {
    id: r.id,
    tenantId: r.tenant_id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    windowStart: Number(r.window_start),
    createTime: Number(r.create_time),
    updateTime: Number(r.update_time),
  };
  if (r.next_attempt_time !== null) d.nextAttemptTime = Number(r.next_attempt_time);
  if (r.last_attempt_time !== null) d.lastAttemptTime = Number(r.last_attempt_time);
  if (r.last_status_code !== null) d.lastStatusCode = Number(r.last_status_code);
  if (r.last_error !== null) d.lastError = r.last_error;
  return d;
}

export function rowToAttempt(r: Selectable<WebhookAttemptsTable>): WebhookAttemptRecord {
  const a: WebhookAttemptRecord = {
    deliveryId: r.delivery_id,
    n: Number(r.n),
    time: Number(r.time),
    trigger: r.trigger as WebhookAttemptRecord['trigger'],
    durationMs: Number(r.duration_ms),
  };
  if (r.status_code !== null) a.statusCode = Number(r.status_code);
  if (r.error !== null) a.error = r.error;
  if (r.response_body !== null) a.responseBody = r.response_body;
  return a;
}

/** Whether an endpoint subscribed to an event type ([] = all; `session.*` = a family). */
export function endpointWants(eventTypes: readonly string[], type: string): boolean {
  if (eventTypes.length === 0) return true;
  return eventTypes.some((t) => t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}
