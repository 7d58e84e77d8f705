/** `stint tenants`: the teams sharing one server. Each key belongs to one; a tenant sees only its own. */
import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../api/auth.ts';
import { TENANT_ID } from '../domain/names.ts';
import { formatTimestamp } from '../domain/time.ts';
import { cliAudit } from '../security/audit-log.ts';
import type { TenantPatch } from '../store/security-store.ts';
import type { Store } from '../store/store.ts';
import { addDataDirOption, withStore } from './store-option.ts';

export function checkTenantId(id: string): void {
  if (!TENANT_ID.test(id)) {
    throw new Error(
      `tenant id must be 1-63 letters, digits, '.', '_' or '-' (starting with a letter or digit); got '${id}'`,
    );
  }
}

/** `N` (0 = unlimited) or `default` (null: the server's default). */
export function parseLimit(flag: string, raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'default') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) {
    throw new Error(`${flag} must be a whole number >= 0 (0 = unlimited) or 'default'; got '${raw}'`);
  }
  return n;
}

const showLimit = (v: number | null) => (v === null ? 'default' : v === 0 ? 'unlimited' : String(v));

/** Fails unless the tenant exists (the default tenant is created on demand). */
export async function requireTenant(store: Store, id: string): Promise<void> {
  if (id === DEFAULT_TENANT) {
    await store.ensureTenant(id, id);
    return;
  }
  if (!(await store.security.getTenant(id))) {
    throw new Error(`no tenant '${id}'; create it with: stint tenants create ${id}`);
  }
}

interface LimitFlags {
  maxWorkingSessions?: string;
  rateLimit?: string;
}

function patchFrom(opts: LimitFlags & { name?: string }): TenantPatch {
  const patch: TenantPatch = {};
  if (opts.name !== undefined) patch.name = opts.name;
  const working = parseLimit('--max-working-sessions', opts.maxWorkingSessions);
  if (working !== undefined) patch.maxWorkingSessions = working;
  const rate = parseLimit('--rate-limit', opts.rateLimit);
  if (rate !== undefined) patch.rateLimitPerMinute = rate;
  return patch;
}

function limitOptions(cmd: Command): Command {
  return cmd
    .option(
      '--max-working-sessions <n>',
      "sessions in PLANNING or IN_PROGRESS at once (0 = unlimited, 'default' = STINT_MAX_WORKING_SESSIONS_PER_TENANT)",
    )
    .option(
      '--rate-limit <n>',
      "API requests per minute for all the tenant's keys (0 = unlimited, 'default' = STINT_RATE_LIMIT_PER_TENANT)",
    );
}

export function registerTenantCommands(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('Manage tenants: each API key belongs to one, and sees only its sessions and sources.');

  addDataDirOption(
    limitOptions(
      tenants.command('create <id>').description('Create a tenant.').option('--name <name>', 'display name'),
    ),
  ).action(async (id: string, opts: LimitFlags & { name?: string; dataDir?: string }) => {
    checkTenantId(id);
    const patch = patchFrom(opts);
    await withStore(opts, async (store) => {
      if (!(await store.security.createTenant({ id, name: opts.name ?? id }))) {
        throw new Error(`tenant '${id}' already exists (change it with: stint tenants update ${id})`);
      }
      await store.security.updateTenant(id, patch);
      await store.security.appendAudit(cliAudit('tenants create', `tenants/${id}`, id, { ...patch }));
      process.stdout.write(`Created tenant ${id}. Give it a key with: stint keys create --tenant ${id}\n`);
    });
  });

  addDataDirOption(
    limitOptions(
      tenants
        .command('update <id>')
        .description("Change a tenant's name or limits.")
        .option('--name <name>', 'display name'),
    ),
  ).action(async (id: string, opts: LimitFlags & { name?: string; dataDir?: string }) => {
    const patch = patchFrom(opts);
    await withStore(opts, async (store) => {
      if (id === DEFAULT_TENANT) await store.ensureTenant(id, id);
      if (!(await store.security.updateTenant(id, patch))) throw new Error(`no tenant '${id}'`);
      await store.security.appendAudit(cliAudit('tenants update', `tenants/${id}`, id, { ...patch }));
      process.stdout.write(`Updated tenant ${id}\n`);
    });
  });

  addDataDirOption(
    tenants.command('list').alias('ls').description('List tenants with their limits and keys.'),
  ).action(async (opts: { dataDir?: string }) => {
    await withStore(opts, async (store) => {
      const keys = await store.listApiKeys();
      process.stdout.write('id\tname\tmax working sessions\trate limit/min\tactive keys\tcreated\n');
      for (const t of await store.security.listTenants()) {
        const active = keys.filter((k) => k.tenantId === t.id && !k.revoked).length;
        process.stdout.write(
          `${t.id}\t${t.name}\t${showLimit(t.maxWorkingSessions)}\t${showLimit(t.rateLimitPerMinute)}\t${active}\t${formatTimestamp(t.createTime)}\n`,
        );
      }
    });
  });
}
