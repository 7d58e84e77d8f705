/** The WebhookStore over SQL: endpoints, the outbox fan-out, leased deliveries and their attempt log. */
import { type Kysely, sql } from 'kysely';
import type { Activity } from '../../domain/activity.ts';
import type { Session } from '../../domain/session.ts';
import type { SessionState } from '../../domain/states.ts';
import type {
  AttemptOutcome,
  DeliveryPage,
  DeliveryStatus,
  DueDelivery,
  OutboxItem,
  WebhookDeliveryRecord,
  WebhookEndpointPatch,
  WebhookEndpointRecord,
  WebhookEventDraft,
  WebhookStore,
} from '../webhook-store.ts';
import type { SqlAdapter } from './adapter.ts';
import type { ExtraTables, WebhookDeliveriesTable, WebhookEventsTable } from './extra-schema.ts';
import { rowToActivity, rowToSession } from './rows.ts';
import type { DB } from './schema.ts';
import { newDeliveryId } from './webhook-ids.ts';
import { endpointToRow, endpointWants, rowToAttempt, rowToDelivery, rowToEndpoint } from './webhook-rows.ts';

type W = Kysely<DB & ExtraTables>;

// The dispatcher's two reads at every wake, as SQL for the adapter's readNow (SQLite).
const OUTBOX_ANY = 'select "id" from "webhook_outbox" limit 1';
const NEXT_DUE =
  'select min("d"."next_attempt_time") as "t" from "webhook_deliveries" as "d" ' +
  'inner join "webhook_endpoints" as "e" on "e"."id" = "d"."endpoint_id" ' +
  `where "d"."status" = 'pending' and ("d"."lease_expires_at" is null or "d"."lease_expires_at" < ?) ` +
  'and "e"."disabled" = 0';
const CHUNK = 200;

async function insertChunked<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}

export class SqlWebhookStore implements WebhookStore {
  readonly #db: W;
  readonly #adapter: SqlAdapter;

  constructor(db: Kysely<DB>, adapter: SqlAdapter) {
    this.#db = db.withTables<ExtraTables>();
    this.#adapter = adapter;
  }

  #write<T>(fn: (trx: W) => Promise<T>): Promise<T> {
    return this.#adapter.writeTransaction(this.#db as unknown as Kysely<DB>, (trx) =>
      fn(trx.withTables<ExtraTables>()),
    );
  }

  async createEndpoint(e: WebhookEndpointRecord): Promise<void> {
    await this.#db.insertInto('webhook_endpoints').values(endpointToRow(e)).execute();
  }

  async getEndpoint(tenantId: string, id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? rowToEndpoint(row) : undefined;
  }

  async listEndpoints(tenantId: string, page: { afterId?: string; limit: number }) {
    const rows = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(page.afterId !== undefined, (q) => q.where('id', '>', page.afterId!))
      .orderBy('id')
      .limit(page.limit)
      .execute();
    return rows.map(rowToEndpoint);
  }

  async updateEndpoint(tenantId: string, id: string, patch: WebhookEndpointPatch) {
    const set: Partial<ReturnType<typeof endpointToRow>> = { update_time: this.#adapter.now() };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.secret !== undefined) set.secret = patch.secret;
    if (patch.eventTypes !== undefined) set.event_types = JSON.stringify(patch.eventTypes);
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    await this.#db
      .updateTable('webhook_endpoints')
      .set(set)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
    return this.getEndpoint(tenantId, id);
  }

  async deleteEndpoint(tenantId: string, id: string): Promise<boolean> {
    const res = await this.#db
      .deleteFrom('webhook_endpoints')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async fanOut(limit: number, build: (item: OutboxItem) => WebhookEventDraft[]): Promise<number> {
    // Run at every session change: SQLite's prepared statement at once where it can.
    const now = this.#adapter.readNow?.<{ id: number }>(OUTBOX_ANY, []);
    const any = now
      ? now.row
      : await this.#db.selectFrom('webhook_outbox').select('id').limit(1).executeTakeFirst();
    if (!any) return 0; // the common case needs no write transaction
    return this.#write(async (trx) => {
      const rows = await trx
        .selectFrom('webhook_outbox')
        .selectAll()
        .orderBy('id')
        .limit(limit)
        .$if(this.#adapter.capabilities.skipLocked, (q) => q.forUpdate().skipLocked())
        .execute();
      if (rows.length === 0) return 0;
      const sessionIds = [...new Set(rows.map((r) => r.session_id))];
      const sessions = new Map<string, Session>();
      for (const s of await trx.selectFrom('sessions').selectAll().where('id', 'in', sessionIds).execute()) {
        sessions.set(s.id, rowToSession(s));
      }
      const activities = new Map<string, Activity>();
      for (const id of sessionIds) {
        const seqs = rows.filter((r) => r.session_id === id && r.seq !== null).map((r) => Number(r.seq));
        if (seqs.length === 0) continue;
        const found = await trx
          .selectFrom('activities')
          .selectAll()
          .where('session_id', '=', id)
          .where('seq', 'in', seqs)
          .execute();
        for (const a of found) activities.set(`${id}/${a.seq}`, rowToActivity(a));
      }
      const reasons = new Map<string, string>();
      for (const r of rows) {
        if (r.kind !== 'state' || r.state !== 'FAILED' || reasons.has(r.session_id)) continue;
        const failed = await trx
          .selectFrom('activities')
          .selectAll()
          .where('session_id', '=', r.session_id)
          .where('kind', '=', 'sessionFailed')
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        const content = failed ? rowToActivity(failed).content : undefined;
        if (content?.kind === 'sessionFailed') reasons.set(r.session_id, content.reason);
      }
      const tenants = [...new Set(rows.map((r) => r.tenant_id))];
      const endpoints = (
        await trx
          .selectFrom('webhook_endpoints')
          .selectAll()
          .where('tenant_id', 'in', tenants)
          .where('disabled', '=', 0)
          .execute()
      ).map(rowToEndpoint);

      const now = this.#adapter.now();
      const events: WebhookEventsTable[] = [];
      const deliveries: WebhookDeliveriesTable[] = [];
      for (const r of rows) {
        const item: OutboxItem = {
          id: Number(r.id),
          tenantId: r.tenant_id,
          sessionId: r.session_id,
          kind: r.kind as OutboxItem['kind'],
          createTime: Number(r.create_time),
        };
        if (r.state !== null) item.state = r.state as SessionState;
        if (r.previous_state !== null) item.previousState = r.previous_state as SessionState;
        const session = sessions.get(r.session_id);
        if (session && r.kind !== 'deleted') item.session = session;
        const activity = r.seq === null ? undefined : activities.get(`${r.session_id}/${r.seq}`);
        if (activity) item.activity = activity;
        const reason = r.kind === 'state' && r.state === 'FAILED' ? reasons.get(r.session_id) : undefined;
        if (reason !== undefined) item.failureReason = reason;
        for (const draft of build(item)) {
          const targets = endpoints.filter(
            (e) => e.tenantId === r.tenant_id && endpointWants(e.eventTypes, draft.type),
          );
          if (targets.length === 0) continue;
          events.push(eventRow(r.tenant_id, draft));
          // One microsecond apart, so the delivery log lists them in event order.
          for (const e of targets)
            deliveries.push(deliveryRow(r.tenant_id, e.id, draft, now + deliveries.length));
        }
      }
      await insertChunked(events, (c) => trx.insertInto('webhook_events').values(c).execute());
      await insertChunked(deliveries, (c) => trx.insertInto('webhook_deliveries').values(c).execute());
      await trx
        .deleteFrom('webhook_outbox')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.length;
    });
  }

  enqueue(
    tenantId: string,
    event: WebhookEventDraft,
    endpointIds: string[],
  ): Promise<WebhookDeliveryRecord[]> {
    return this.#write(async (trx) => {
      if (endpointIds.length === 0) return [];
      const now = this.#adapter.now();
      const rows = endpointIds.map((id, i) => deliveryRow(tenantId, id, event, now + i));
      await trx.insertInto('webhook_events').values(eventRow(tenantId, event)).execute();
      await trx.insertInto('webhook_deliveries').values(rows).execute();
      return rows.map(rowToDelivery);
    });
  }

  claimDue(owner: string, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    return this.#write(async (trx) => {
      const now = this.#adapter.now();
      const ids = (
        await trx
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
          .select('d.id')
          .where('d.status', '=', 'pending')
          .where('d.next_attempt_time', '<=', now)
          .where((w) => w.or([w('d.lease_expires_at', 'is', null), w('d.lease_expires_at', '<', now)]))
          .where('e.disabled', '=', 0)
          .orderBy('d.next_attempt_time')
          .limit(limit)
          .$if(this.#adapter.capabilities.skipLocked, (q) => q.forUpdate('d').skipLocked())
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return [];
      await trx
        .updateTable('webhook_deliveries')
        .set({ lease_owner: owner, lease_expires_at: now + leaseMs * 1000 })
        .where('id', 'in', ids)
        .execute();
      const rows = await trx
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
        .innerJoin('webhook_events as v', 'v.id', 'd.event_id')
        .selectAll('d')
        .select(['e.url', 'e.secret', 'v.payload'])
        .where('d.id', 'in', ids)
        .orderBy('d.next_attempt_time')
        .execute();
      return rows.map((r) => ({
        delivery: rowToDelivery(r),
        url: r.url,
        secret: r.secret,
        payload: r.payload,
      }));
    });
  }

  async releaseAllLeases(): Promise<number> {
    const res = await this.#db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('lease_owner', 'is not', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async nextDueTime(): Promise<number | undefined> {
    // Run at every session change too (after fanOut).
    const now = this.#adapter.readNow?.<{ t: number | bigint | null }>(NEXT_DUE, [this.#adapter.now()]);
    const row = now
      ? now.row
      : await this.#db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
          .select((eb) => eb.fn.min('d.next_attempt_time').as('t'))
          .where('d.status', '=', 'pending')
          .where((w) =>
            w.or([w('d.lease_expires_at', 'is', null), w('d.lease_expires_at', '<', this.#adapter.now())]),
          )
          .where('e.disabled', '=', 0)
          .executeTakeFirst();
    return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
  }

  recordAttempt(deliveryId: string, owner: string, outcome: AttemptOutcome): Promise<boolean> {
    return this.#write(async (trx) => {
      const row = await trx
        .selectFrom('webhook_deliveries')
        .select(['attempts', 'manual'])
        .where('id', '=', deliveryId)
        .where('lease_owner', '=', owner)
        .$if(this.#adapter.capabilities.skipLocked, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return false;
      const n = Number(row.attempts) + 1;
      const a = outcome.attempt;
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: deliveryId,
          n,
          time: a.time,
          trigger: Number(row.manual) === 1 ? 'manual' : 'scheduled',
          status_code: a.statusCode ?? null,
          error: a.error ?? null,
          response_body: a.responseBody ?? null,
          duration_ms: a.durationMs,
        })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status: outcome.status,
          attempts: n,
          next_attempt_time: outcome.status === 'pending' ? (outcome.nextAttemptTime ?? a.time) : null,
          last_attempt_time: a.time,
          last_status_code: a.statusCode ?? null,
          last_error: a.error ?? null,
          manual: 0,
          lease_owner: null,
          lease_expires_at: null,
          update_time: this.#adapter.now(),
        })
        .where('id', '=', deliveryId)
        .execute();
      return true;
    });
  }

  async listDeliveries(tenantId: string, endpointId: string, page: DeliveryPage) {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .$if(page.status !== undefined, (q) => q.where('status', '=', page.status!))
      .$if(page.after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('create_time', '<', page.after!.createTime),
            eb.and([eb('create_time', '=', page.after!.createTime), eb('id', '<', page.after!.id)]),
          ]),
        ),
      )
      .orderBy('create_time', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .execute();
    return rows.map(rowToDelivery);
  }

  async getDelivery(tenantId: string, endpointId: string, id: string) {
    const row = await this.#db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as v', 'v.id', 'd.event_id')
      .selectAll('d')
      .select('v.payload')
      .where('d.tenant_id', '=', tenantId)
      .where('d.endpoint_id', '=', endpointId)
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const attempts = await this.#db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', '=', id)
      .orderBy('n')
      .execute();
    return { delivery: rowToDelivery(row), attempts: attempts.map(rowToAttempt), payload: row.payload };
  }

  async redeliver(tenantId: string, endpointId: string, id: string) {
    const now = this.#adapter.now();
    const res = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_time: now, window_start: now, manual: 1, update_time: now })
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return undefined;
    return (await this.getDelivery(tenantId, endpointId, id))?.delivery;
  }

  async countDeliveries(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const out: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, failed: 0 };
    for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
    return out;
  }

  purge(before: number): Promise<number> {
    return this.#write(async (trx) => {
      const res = await trx
        .deleteFrom('webhook_deliveries')
        .where('status', '<>', 'pending')
        .where('create_time', '<', before)
        .executeTakeFirst();
      await trx
        .deleteFrom('webhook_events')
        .where('create_time', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_deliveries as d')
                .select(sql.lit(1).as('one'))
                .whereRef('d.event_id', '=', 'webhook_events.id'),
            ),
          ),
        )
        .execute();
      return Number(res.numDeletedRows);
    });
  }
}

function eventRow(tenantId: string, e: WebhookEventDraft): WebhookEventsTable {
  return {
    id: e.id,
    tenant_id: tenantId,
    type: e.type,
    session_id: e.sessionId ?? null,
    payload: e.payload,
    create_time: e.createTime,
  };
}

function deliveryRow(
  tenantId: string,
  endpointId: string,
  e: WebhookEventDraft,
  now: number,
): WebhookDeliveriesTable {
  return {
    id: newDeliveryId(),
    tenant_id: tenantId,
    endpoint_id: endpointId,
    event_id: e.id,
    event_type: e.type,
    status: 'pending',
    attempts: 0,
    next_attempt_time: now,
    window_start: now,
    last_attempt_time: null,
    last_status_code: null,
    last_error: null,
    manual: 0,
    lease_owner: null,
    lease_expires_at: null,
    create_time: now,
    update_time: now,
  };
}
