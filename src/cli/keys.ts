import type { Command } from 'commander';
import { DEFAULT_TENANT, generateApiKey, registerApiKey } from '../api/auth.ts';
import { formatTimestamp } from '../domain/time.ts';
import { addDataDirOption, withStore } from './store-option.ts';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage API keys (stored only as hashes).');

  addDataDirOption(
    keys
      .command('create')
      .description('Create an API key and print it once.')
      .option('--name <name>', 'a label for the key', 'cli')
      .option('--tenant <tenant>', 'tenant the key belongs to', DEFAULT_TENANT)
      .option('--admin', 'give the key admin rights'),
  ).action(async (opts: { name: string; tenant: string; admin?: boolean; dataDir?: string }) => {
    await withStore(opts, async (store) => {
      const key = generateApiKey();
      const rec = await registerApiKey(store, key, {
        name: opts.name,
        role: opts.admin ? 'admin' : 'member',
        tenantId: opts.tenant,
      });
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `Created key ${rec.id} (${opts.name}, tenant ${rec.tenantId}). It is not shown again.\n`,
      );
    });
  });

  addDataDirOption(keys.command('list').description('List API keys (ids and names, never the keys).')).action(
    async (opts: { dataDir?: string }) => {
      await withStore(opts, async (store) => {
        for (const k of await store.listApiKeys()) {
          process.stdout.write(
            `${k.id}\t${k.tenantId}\t${k.role}\t${k.revoked ? 'revoked' : 'active'}\t${formatTimestamp(k.createTime)}\t${k.name}\n`,
          );
        }
      });
    },
  );

  addDataDirOption(keys.command('revoke <id>').description('Revoke an API key by id.')).action(
    async (id: string, opts: { dataDir?: string }) => {
      await withStore(opts, async (store) => {
        if (!(await store.revokeApiKey(id))) throw new Error(`no key with id ${id}`);
        process.stdout.write(`Revoked ${id}\n`);
      });
    },
  );
}
