/** The webhook event catalogue and endpoint filters. */
import { invalidArgument } from '../domain/errors.ts';

export const WEBHOOK_EVENT_TYPES = {
  'session.created': 'A session was created.',
  'session.state_changed': 'A session changed state (data.state, data.previousState).',
  'session.completed': 'A session reached COMPLETED.',
  'session.failed': 'A session reached FAILED (data.reason).',
  'session.deleted': 'A session was deleted.',
  'activity.created': 'An activity was appended to a session (data.activity, exactly as GET returns it).',
  'webhook.test': 'A test event sent by the :test method of an endpoint.',
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES;

export const EVENT_TYPE_NAMES = Object.keys(WEBHOOK_EVENT_TYPES) as WebhookEventType[];

const FAMILIES = new Set(EVENT_TYPE_NAMES.map((t) => `${t.split('.')[0]}.*`));

/** Validates an endpoint's filter: known types or families such as `session.*`; [] means all. */
export function parseEventFilter(value: unknown, field = 'eventTypes'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgument(`${field} must be a list of event types.`);
  if (value.length > 50) throw invalidArgument(`${field} has more than 50 entries.`);
  const out: string[] = [];
  for (const t of value) {
    if (typeof t !== 'string' || !((t as WebhookEventType) in WEBHOOK_EVENT_TYPES || FAMILIES.has(t))) {
      throw invalidArgument(
        `${field}: unknown event type '${String(t)}'; use ${EVENT_TYPE_NAMES.join(', ')} or a family such as session.*.`,
      );
    }
    if (!out.includes(t)) out.push(t);
  }
  return out;
}
