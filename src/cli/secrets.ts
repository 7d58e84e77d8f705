/**
 * `stint secrets`: credentials a tenant's (or one source's) sessions need, e.g. a package registry
 * token for the repository's tests. Stored encrypted with the server key; given to sandboxed
 * commands as environment variables; shown as `***` wherever they would appear.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../api/auth.ts';
import { buildConfig } from '../config.ts';
import { formatTimestamp } from '../domain/time.ts';
import { cliAudit } from '../security/audit-log.ts';
import { checkSecretName } from '../security/secrets.ts';
import type { Store } from '../store/store.ts';
import { addDataDirOption, withStore } from './store-option.ts';

interface ScopeFlags {
  tenant: string;
  source?: string;
  dataDir?: string;
}

function scoped(cmd: Command): Command {
  return addDataDirOption(
    cmd
      .option('--tenant <tenant>', 'tenant the secret belongs to', DEFAULT_TENANT)
      .option(
        '--source <id>',
        "only for this source's sessions (provider/owner/repo); default: all the tenant's",
      ),
  );
}

const sourceOf = (opts: ScopeFlags) => (opts.source ?? '').replace(/^sources\//, '');

async function secretsFor(store: Store, opts: ScopeFlags) {
  const dataDir = resolve(opts.dataDir ?? process.env.STINT_DATA_DIR ?? '.stint');
  const config = buildConfig({ dataDir });
  const { openSecrets } = await import('../security/setup.ts');
  return (await openSecrets(store, dataDir, config.security)).secrets;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Value (end with Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerSecretCommands(program: Command): void {
  const secrets = program
    .command('secrets')
    .description("Manage secrets given to sessions' commands as environment variables (stored encrypted).");

  scoped(
    secrets
      .command('set <name>')
      .description('Create or replace a secret; the value is read from stdin (never from the command line).')
      .option('--from-env <var>', 'take the value from this environment variable instead of stdin'),
  ).action(async (name: string, opts: ScopeFlags & { fromEnv?: string }) => {
    checkSecretName(name);
    const value = opts.fromEnv !== undefined ? process.env[opts.fromEnv] : await readStdin();
    if (value === undefined) throw new Error(`environment variable ${opts.fromEnv} is not set`);
    await withStore(opts, async (store) => {
      await (await secretsFor(store, opts)).set(opts.tenant, sourceOf(opts), name, value);
      const target = sourceOf(opts) ? `sources/${sourceOf(opts)}/secrets/${name}` : `secrets/${name}`;
      await store.security.appendAudit(cliAudit('secrets set', target, opts.tenant));
      process.stdout.write(
        `Set secret ${name} for ${sourceOf(opts) ? `sources/${sourceOf(opts)}` : `tenant ${opts.tenant}`}\n`,
      );
    });
  });

  scoped(secrets.command('list').alias('ls').description('List secret names (never values).')).action(
    async (opts: ScopeFlags) => {
      await withStore(opts, async (store) => {
        const rows = await (await secretsFor(store, opts)).list(
          opts.tenant,
          opts.source ? sourceOf(opts) : undefined,
        );
        for (const s of rows) {
          const scope = s.sourceId ? `sources/${s.sourceId}` : `tenant ${opts.tenant}`;
          process.stdout.write(`${s.name}\t${scope}\tupdated ${formatTimestamp(s.updateTime)}\n`);
        }
      });
    },
  );

  scoped(secrets.command('remove <name>').alias('rm').description('Delete a secret.')).action(
    async (name: string, opts: ScopeFlags) => {
      await withStore(opts, async (store) => {
        if (!(await store.security.deleteSecret(opts.tenant, sourceOf(opts), name))) {
          throw new Error(
            `no secret ${name} for ${sourceOf(opts) ? `sources/${sourceOf(opts)}` : `tenant ${opts.tenant}`}`,
          );
        }
        const target = sourceOf(opts) ? `sources/${sourceOf(opts)}/secrets/${name}` : `secrets/${name}`;
        await store.security.appendAudit(cliAudit('secrets remove', target, opts.tenant));
        process.stdout.write(`Removed secret ${name}\n`);
      });
    },
  );
}
