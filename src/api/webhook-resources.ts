/** Webhook records -> wire JSON. The signing secret appears only where `withSecret` asks for it. */
import { formatTimestamp } from '../domain/time.ts';
import type {
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
} from '../store/webhook-store.ts';

export function webhookResource(e: WebhookEndpointRecord, withSecret = false): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: `webhooks/${e.id}`,
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    disabled: e.disabled,
    createTime: formatTimestamp(e.createTime),
    updateTime: formatTimestamp(e.updateTime),
  };
  if (withSecret) out.secret = e.secret;
  return out;
}

export function deliveryResource(d: WebhookDeliveryRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: `webhooks/${d.endpointId}/deliveries/${d.id}`,
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status.toUpperCase(),
    attempts: d.attempts,
  };
  if (d.nextAttemptTime !== undefined && d.status === 'pending')
    out.nextAttemptTime = formatTimestamp(d.nextAttemptTime);
  if (d.lastAttemptTime !== undefined) out.lastAttemptTime = formatTimestamp(d.lastAttemptTime);
  if (d.lastStatusCode !== undefined) out.lastStatusCode = d.lastStatusCode;
  if (d.lastError !== undefined) out.lastError = d.lastError;
  out.createTime = formatTimestamp(d.createTime);
  out.updateTime = formatTimestamp(d.updateTime);
  return out;
}

export function attemptResource(a: WebhookAttemptRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attempt: a.n,
    time: formatTimestamp(a.time),
    trigger: a.trigger.toUpperCase(),
    durationMs: a.durationMs,
  };
  if (a.statusCode !== undefined) out.statusCode = a.statusCode;
  if (a.error !== undefined) out.error = a.error;
  return out;
}
