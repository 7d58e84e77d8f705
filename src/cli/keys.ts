import type { Command } from 'commander';
import { DEFAULT_TENANT, generateApiKey, registerApiKey } from '../api/auth.ts';
import { formatTimestamp } from '../domain/time.ts';
import { cliAudit } from '../security/audit-log.ts';
import { addDataDirOption, withStore } from './store-option.ts';
import { parseLimit, requireTenant } from './tenants.ts';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage API keys (stored only as hashes).');

  addDataDirOption(
    keys
      .command('create')
      .description('Create an API key and print it once.')
      .option('--name <name>', 'a label for the key', 'cli')
      .option('--tenant <tenant>', 'tenant the key belongs to (see stint tenants)', DEFAULT_TENANT)
      .option('--admin', 'give the key admin rights')
      .option(
        '--rate-limit <n>',
        'requests per minute for this key (0 = unlimited; default: STINT_RATE_LIMIT_PER_KEY)',
      ),
  ).action(
    async (opts: { name: string; tenant: string; admin?: boolean; rateLimit?: string; dataDir?: string }) => {
      const rateLimit = parseLimit('--rate-limit', opts.rateLimit);
      await withStore(opts, async (store) => {
        await requireTenant(store, opts.tenant);
        const key = generateApiKey();
        const rec = await registerApiKey(store, key, {
          name: opts.name,
          role: opts.admin ? 'admin' : 'member',
          tenantId: opts.tenant,
        });
        if (rateLimit !== undefined) await store.security.setKeyRateLimit(rec.id, rateLimit);
        await store.security.appendAudit(
          cliAudit('keys create', `keys/${rec.id}`, rec.tenantId, { role: rec.role, name: rec.name }),
        );
        process.stdout.write(`${key}\n`);
        process.stderr.write(
          `Created key ${rec.id} (${opts.name}, tenant ${rec.tenantId}). It is not shown again.\n`,
        );
      });
    },
  );

  addDataDirOption(
    keys
      .command('list')
      .description('List API keys (ids and names, never the keys).')
      .option('--tenant <tenant>', 'only the keys of this tenant'),
  ).action(async (opts: { tenant?: string; dataDir?: string }) => {
    await withStore(opts, async (store) => {
      for (const k of await store.listApiKeys(opts.tenant)) {
        process.stdout.write(
          `${k.id}\t${k.tenantId}\t${k.role}\t${k.revoked ? 'revoked' : 'active'}\t${formatTimestamp(k.createTime)}\t${k.name}\n`,
        );
      }
    });
  });

  addDataDirOption(keys.command('revoke <id>').description('Revoke an API key by id.')).action(
    async (id: string, opts: { dataDir?: string }) => {
      await withStore(opts, async (store) => {
        if (!(await store.revokeApiKey(id))) throw new Error(`no key with id ${id}`);
        await store.security.appendAudit(cliAudit('keys revoke', `keys/${id}`, null));
        process.stdout.write(`Revoked ${id}\n`);
      });
    },
  );

  addDataDirOption(
    keys
      .command('set-limit <id>')
      .description("Set a key's own rate limit.")
      .requiredOption(
        '--rate-limit <n>',
        "requests per minute (0 = unlimited, 'default' = STINT_RATE_LIMIT_PER_KEY)",
      ),
  ).action(async (id: string, opts: { rateLimit: string; dataDir?: string }) => {
    const limit = parseLimit('--rate-limit', opts.rateLimit);
    await withStore(opts, async (store) => {
      if (!(await store.security.setKeyRateLimit(id, limit ?? null))) throw new Error(`no key with id ${id}`);
      await store.security.appendAudit(
        cliAudit('keys set-limit', `keys/${id}`, null, { rateLimitPerMinute: limit }),
      );
      process.stdout.write(
        `Key ${id}: rate limit ${limit === null ? 'default' : limit === 0 ? 'unlimited' : `${limit}/min`}\n`,
      );
    });
  });
}
