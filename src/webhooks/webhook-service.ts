/** Webhook endpoints and their delivery log, as the API and the CLI manage them. */
import { invalidArgument, notFound } from '../domain/errors.ts';
import { newOpaqueId } from '../domain/ids.ts';
import { nowMicros } from '../domain/time.ts';
import type { Store } from '../store/store.ts';
import type {
  DeliveryPage,
  WebhookDeliveryRecord,
  WebhookEndpointPatch,
  WebhookEndpointRecord,
} from '../store/webhook-store.ts';
import { parseEventFilter } from './event-types.ts';
import { draftEvent } from './payloads.ts';
import { generateSecret } from './signing.ts';
import { resolveTarget, STRICT_TARGETS, type TargetPolicy, TargetRefused, urlHost } from './target-guard.ts';

export interface EndpointInput {
  url?: unknown;
  description?: unknown;
  eventTypes?: unknown;
  disabled?: unknown;
}

const ID = /^wh_[A-Za-z0-9_-]{1,64}$/;
const DELIVERY_ID = /^dlv_[0-9a-f]{1,64}$/;

export function validateWebhookUrl(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw invalidArgument('url is required.');
  if (raw.length > 2048) throw invalidArgument('url is longer than 2048 characters.');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalidArgument(`url is not a valid URL: '${raw}'.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw invalidArgument('url must be http:// or https://.');
  if (u.username || u.password)
    throw invalidArgument('url must not contain credentials; verify signatures instead.');
  return u.toString();
}

const REGISTRATION_LOOKUP_MS = 5000;

/**
 * Refuses, at registration, a URL whose host is or resolves to an address webhooks may not reach
 * (loopback, private, link-local, ...; see address-filter.ts). A name that does not resolve now is
 * accepted: every delivery resolves and checks again, and connects only to the checked address.
 */
export async function checkWebhookTarget(url: string, targets: TargetPolicy): Promise<void> {
  const check = resolveTarget(urlHost(new URL(url)), targets);
  check.catch(() => {}); // a late rejection after the timeout below is not an unhandled one
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, REGISTRATION_LOOKUP_MS);
  });
  try {
    await Promise.race([check, timeout]);
  } catch (e) {
    if (e instanceof TargetRefused) throw invalidArgument(`url is not allowed: ${e.message}.`);
  } finally {
    clearTimeout(timer);
  }
}

function description(raw: unknown): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'string') throw invalidArgument("Invalid value at 'description': must be a string.");
  if (raw.length > 1000) throw invalidArgument('description is longer than 1000 characters.');
  return raw;
}

function bool(raw: unknown, field: string): boolean {
  if (typeof raw !== 'boolean') throw invalidArgument(`Invalid value at '${field}': must be a boolean.`);
  return raw;
}

export class WebhookService {
  readonly #store: Store;
  /** Called when deliveries are queued outside the outbox (test events, redeliveries). */
  readonly #onQueued: () => void;
  /** Which addresses endpoints may point at (STINT_WEBHOOK_ALLOW_PRIVATE). */
  readonly #targets: TargetPolicy;

  constructor(store: Store, onQueued: () => void = () => {}, targets: TargetPolicy = STRICT_TARGETS) {
    this.#store = store;
    this.#onQueued = onQueued;
    this.#targets = targets;
  }

  async #url(raw: unknown): Promise<string> {
    const url = validateWebhookUrl(raw);
    await checkWebhookTarget(url, this.#targets);
    return url;
  }

  async create(tenantId: string, input: EndpointInput): Promise<WebhookEndpointRecord> {
    const now = nowMicros();
    const endpoint: WebhookEndpointRecord = {
      id: `wh_${newOpaqueId(9)}`,
      tenantId,
      url: await this.#url(input.url),
      description: description(input.description),
      secret: generateSecret(),
      eventTypes: parseEventFilter(input.eventTypes),
      disabled: input.disabled === undefined ? false : bool(input.disabled, 'disabled'),
      createTime: now,
      updateTime: now,
    };
    await this.#store.ensureTenant(tenantId, tenantId);
    await this.#store.webhooks.createEndpoint(endpoint);
    return endpoint;
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpointRecord> {
    const e = ID.test(id) ? await this.#store.webhooks.getEndpoint(tenantId, id) : undefined;
    if (!e) throw notFound(`Webhook 'webhooks/${id}' was not found.`);
    return e;
  }

  list(tenantId: string, page: { afterId?: string; limit: number }): Promise<WebhookEndpointRecord[]> {
    return this.#store.webhooks.listEndpoints(tenantId, page);
  }

  async update(tenantId: string, id: string, input: EndpointInput): Promise<WebhookEndpointRecord> {
    await this.get(tenantId, id);
    const patch: WebhookEndpointPatch = {};
    if (input.url !== undefined) patch.url = await this.#url(input.url);
    if (input.description !== undefined) patch.description = description(input.description);
    if (input.eventTypes !== undefined) patch.eventTypes = parseEventFilter(input.eventTypes);
    if (input.disabled !== undefined) patch.disabled = bool(input.disabled, 'disabled');
    const updated = await this.#store.webhooks.updateEndpoint(tenantId, id, patch);
    if (!updated) throw notFound(`Webhook 'webhooks/${id}' was not found.`);
    if (patch.disabled === false) this.#onQueued();
    return updated;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!ID.test(id) || !(await this.#store.webhooks.deleteEndpoint(tenantId, id))) {
      throw notFound(`Webhook 'webhooks/${id}' was not found.`);
    }
  }

  /** Replaces the signing secret; returns the endpoint with the new secret. */
  async rotateSecret(tenantId: string, id: string): Promise<WebhookEndpointRecord> {
    await this.get(tenantId, id);
    const updated = await this.#store.webhooks.updateEndpoint(tenantId, id, { secret: generateSecret() });
    if (!updated) throw notFound(`Webhook 'webhooks/${id}' was not found.`);
    return updated;
  }

  /** Queues a `webhook.test` event for this endpoint only. */
  async sendTest(tenantId: string, id: string): Promise<WebhookDeliveryRecord> {
    const endpoint = await this.get(tenantId, id);
    const now = nowMicros();
    const event = draftEvent('webhook.test', now, { webhook: `webhooks/${endpoint.id}` });
    const [delivery] = await this.#store.webhooks.enqueue(tenantId, event, [endpoint.id]);
    this.#onQueued();
    return delivery!;
  }

  async listDeliveries(tenantId: string, id: string, page: DeliveryPage): Promise<WebhookDeliveryRecord[]> {
    await this.get(tenantId, id);
    return this.#store.webhooks.listDeliveries(tenantId, id, page);
  }

  async getDelivery(tenantId: string, id: string, deliveryId: string) {
    await this.get(tenantId, id);
    const d = DELIVERY_ID.test(deliveryId)
      ? await this.#store.webhooks.getDelivery(tenantId, id, deliveryId)
      : undefined;
    if (!d) throw notFound(`Delivery 'webhooks/${id}/deliveries/${deliveryId}' was not found.`);
    return d;
  }

  async redeliver(tenantId: string, id: string, deliveryId: string): Promise<WebhookDeliveryRecord> {
    await this.getDelivery(tenantId, id, deliveryId);
    const d = await this.#store.webhooks.redeliver(tenantId, id, deliveryId);
    if (!d) throw notFound(`Delivery 'webhooks/${id}/deliveries/${deliveryId}' was not found.`);
    this.#onQueued();
    return d;
  }
}
