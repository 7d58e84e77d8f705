/**
 * What a queued change becomes on the wire, in the Standard Webhooks shape
 * `{type, timestamp, data}`. Sessions and activities appear exactly as the API returns them;
 * `data.session` is the session as read when the event is recorded (shortly after the change).
 */
import { activityResource, sessionResource } from '../api/resources.ts';
import { newOpaqueId } from '../domain/ids.ts';
import { sessionName } from '../domain/names.ts';
import type { Session } from '../domain/session.ts';
import { formatTimestamp, type Micros } from '../domain/time.ts';
import type { OutboxItem, WebhookEventDraft } from '../store/webhook-store.ts';
import type { WebhookEventType } from './event-types.ts';

export const newEventId = (): string => `evt_${newOpaqueId(12)}`;

export function draftEvent(
  type: WebhookEventType,
  time: Micros,
  data: Record<string, unknown>,
  sessionId?: string,
): WebhookEventDraft {
  const draft: WebhookEventDraft = {
    id: newEventId(),
    type,
    payload: JSON.stringify({ type, timestamp: formatTimestamp(time), data }),
    createTime: time,
  };
  if (sessionId !== undefined) draft.sessionId = sessionId;
  return draft;
}

/** Events for one outbox item; none when what it refers to is gone. */
export function eventsFor(item: OutboxItem, baseUrl: string): WebhookEventDraft[] {
  const wire = (s: Session) => sessionResource(s, baseUrl);
  const at = item.createTime;
  const id = item.sessionId;
  switch (item.kind) {
    case 'created':
      return item.session ? [draftEvent('session.created', at, { session: wire(item.session) }, id)] : [];
    case 'deleted':
      return [draftEvent('session.deleted', at, { name: sessionName(id), id }, id)];
    case 'activity':
      return item.activity
        ? [
            draftEvent(
              'activity.created',
              at,
              { session: sessionName(id), activity: activityResource(item.activity) },
              id,
            ),
          ]
        : [];
    case 'state': {
      if (!item.session) return [];
      const session = wire(item.session);
      const out = [
        draftEvent(
          'session.state_changed',
          at,
          { session, state: item.state, previousState: item.previousState },
          id,
        ),
      ];
      if (item.state === 'COMPLETED') out.push(draftEvent('session.completed', at, { session }, id));
      if (item.state === 'FAILED') {
        out.push(draftEvent('session.failed', at, { session, reason: item.failureReason ?? '' }, id));
      }
      return out;
    }
  }
}
