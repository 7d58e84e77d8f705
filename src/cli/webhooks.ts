/**
 * `stint webhooks`: a tenant's webhook endpoints and their delivery logs, managed on the server's
 * machine (the running server's dispatcher sends what these commands queue).
 */
import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../api/auth.ts';
import { formatTimestamp } from '../domain/time.ts';
import { cliAudit } from '../security/audit-log.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryStatus } from '../store/webhook-store.ts';
import { parseAllowlist } from '../webhooks/address-filter.ts';
import { EVENT_TYPE_NAMES } from '../webhooks/event-types.ts';
import { WebhookService } from '../webhooks/webhook-service.ts';
import { addDataDirOption, withStore } from './store-option.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const events = (raw: string | undefined) =>
  raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
const tenantOption = (cmd: Command) => cmd.option('--tenant <tenant>', 'tenant', DEFAULT_TENANT);

async function audit(store: Store, what: string, target: string, tenant: string): Promise<void> {
  await store.security.appendAudit(cliAudit(what, target, tenant));
}

export function registerWebhookCommands(program: Command): void {
  const wh = program
    .command('webhooks')
    .description('Signed webhooks (Standard Webhooks): endpoints per tenant and their delivery logs.');

  addDataDirOption(
    tenantOption(
      wh
        .command('add')
        .description('Register an endpoint and print its signing secret once.')
        .requiredOption('--url <url>', 'http(s) URL that receives the POSTs')
        .option(
          '--events <types>',
          `comma-separated event types (default: all): ${EVENT_TYPE_NAMES.join(', ')}`,
        )
        .option('--description <text>', 'a label'),
    ),
  ).action(
    async (opts: {
      url: string;
      events?: string;
      description?: string;
      tenant: string;
      dataDir?: string;
    }) => {
      await withStore(opts, async (store) => {
        // The same address rule as the server's (STINT_WEBHOOK_ALLOW_PRIVATE from this environment).
        const targets = { allowPrivate: parseAllowlist(process.env['STINT_WEBHOOK_ALLOW_PRIVATE']) };
        const e = await new WebhookService(store, undefined, targets).create(opts.tenant, {
          url: opts.url,
          eventTypes: events(opts.events),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        });
        await audit(store, 'webhooks add', `webhooks/${e.id}`, opts.tenant);
        out(`${e.id}\t${e.url}\t${e.eventTypes.join(',') || 'all events'}`);
        out(`Signing secret (shown once): ${e.secret}`);
      });
    },
  );

  addDataDirOption(tenantOption(wh.command('list').alias('ls').description('List endpoints.'))).action(
    async (opts: { tenant: string; dataDir?: string }) => {
      await withStore(opts, async (store) => {
        for (const e of await store.webhooks.listEndpoints(opts.tenant, { limit: 10_000 })) {
          out(
            `${e.id}\t${e.disabled ? 'disabled' : 'enabled'}\t${e.url}\t${e.eventTypes.join(',') || 'all events'}\t${e.description}`,
          );
        }
      });
    },
  );

  for (const [name, disabled] of [
    ['enable', false],
    ['disable', true],
  ] as const) {
    addDataDirOption(
      tenantOption(
        wh.command(`${name} <id>`).description(`${name[0]!.toUpperCase()}${name.slice(1)} an endpoint.`),
      ),
    ).action(async (id: string, opts: { tenant: string; dataDir?: string }) => {
      await withStore(opts, async (store) => {
        await new WebhookService(store).update(opts.tenant, id, { disabled });
        await audit(store, `webhooks ${name}`, `webhooks/${id}`, opts.tenant);
        out(`${name === 'enable' ? 'Enabled' : 'Disabled'} ${id}`);
      });
    });
  }

  addDataDirOption(
    tenantOption(wh.command('remove <id>').alias('rm').description('Delete an endpoint and its log.')),
  ).action(async (id: string, opts: { tenant: string; dataDir?: string }) => {
    await withStore(opts, async (store) => {
      await new WebhookService(store).delete(opts.tenant, id);
      await audit(store, 'webhooks remove', `webhooks/${id}`, opts.tenant);
      out(`Removed ${id}`);
    });
  });

  addDataDirOption(
    tenantOption(
      wh
        .command('deliveries <id>')
        .description('The delivery log of an endpoint, newest first.')
        .option('--status <status>', 'pending, succeeded or failed')
        .option('--limit <n>', 'how many', '50'),
    ),
  ).action(async (id: string, opts: { tenant: string; status?: string; limit: string; dataDir?: string }) => {
    const status = opts.status?.toLowerCase();
    if (status !== undefined && !['pending', 'succeeded', 'failed'].includes(status)) {
      throw new Error(`--status must be pending, succeeded or failed; got '${opts.status}'`);
    }
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new Error('--limit must be 1-10000');
    await withStore(opts, async (store) => {
      const rows = await new WebhookService(store).listDeliveries(opts.tenant, id, {
        limit,
        ...(status ? { status: status as DeliveryStatus } : {}),
      });
      for (const d of rows) {
        const last = d.lastStatusCode ?? d.lastError ?? '';
        out(
          `${d.id}\t${d.status}\t${d.eventType}\t${d.attempts} attempt(s)\t${last}\t${formatTimestamp(d.createTime)}`,
        );
      }
    });
  });

  addDataDirOption(
    tenantOption(
      wh.command('redeliver <id> <deliveryId>').description('Send a delivery again (same webhook-id).'),
    ),
  ).action(async (id: string, deliveryId: string, opts: { tenant: string; dataDir?: string }) => {
    await withStore(opts, async (store) => {
      await new WebhookService(store).redeliver(opts.tenant, id, deliveryId);
      await audit(store, 'webhooks redeliver', `webhooks/${id}/deliveries/${deliveryId}`, opts.tenant);
      out(`Queued ${deliveryId} for redelivery; the running server sends it within seconds.`);
    });
  });
}
