/** `stint sources update <id>`: changes a registered source's settings (network allowlist, setup, its cache). */
import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../api/auth.ts';
import { sourceName } from '../domain/names.ts';
import { parseHostPatterns } from '../sandbox/network/host-patterns.ts';
import { SourceService } from '../services/source-service.ts';
import { MAX_ALLOW_HOSTS } from '../sources/source-config.ts';
import { addSetupOptions, applySetupOptions, type SetupOptions } from './source-setup-options.ts';
import { addDataDirOption, withStore } from './store-option.ts';

/** Commander's collector for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--allow-host` values, validated and normalized; throws naming the option. */
export function allowHostsOption(raw: readonly string[] | undefined): string[] {
  const hosts = parseHostPatterns(raw ?? [], '--allow-host').map((p) => p.text);
  if (hosts.length > MAX_ALLOW_HOSTS) throw new Error(`--allow-host: at most ${MAX_ALLOW_HOSTS} patterns`);
  return hosts;
}

interface UpdateOptions extends SetupOptions {
  allowHost: string[];
  clearAllowHosts?: boolean;
  allowNetwork?: boolean;
  tenant: string;
  dataDir?: string;
}

export function registerSourceUpdate(sources: Command): void {
  const cmd = sources
    .command('update <id>')
    .description(
      "Change a registered source's settings, e.g. `stint sources update github/acme/widgets --allow-host registry.npmjs.org --setup 'npm ci'`.",
    )
    .option(
      '--allow-host <pattern>',
      'a host its sessions may reach through the allowlist proxy; adds to the list (repeatable)',
      collect,
      [],
    )
    .option('--clear-allow-hosts', 'empty its host allowlist first')
    .option('--allow-network', "let its sessions' commands use the whole network")
    .option('--no-allow-network', 'take the whole network away again (the host allowlist stays)')
    .option('--tenant <tenant>', 'tenant the source belongs to', DEFAULT_TENANT);
  addDataDirOption(addSetupOptions(cmd, true)).action(async (id: string, opts: UpdateOptions) => {
    const add = allowHostsOption(opts.allowHost);
    await withStore(opts, async (store) => {
      const record = await store.getSource(opts.tenant, id);
      if (!record) throw new Error(`no source ${id}`);
      const { setup: oldSetup, ...config } = record.config;
      const before = opts.clearAllowHosts ? [] : ((config['allowHosts'] as string[] | undefined) ?? []);
      const allowHosts = [...new Set([...before, ...add])];
      if (allowHosts.length > MAX_ALLOW_HOSTS)
        throw new Error(`--allow-host: at most ${MAX_ALLOW_HOSTS} patterns`);
      if (allowHosts.length > 0) config['allowHosts'] = allowHosts;
      else delete config['allowHosts'];
      if (opts.allowNetwork === true) config['network'] = true;
      if (opts.allowNetwork === false) delete config['network'];
      const setup = applySetupOptions(oldSetup, opts);
      // Through the service: its cached branch listing of the source is dropped too.
      await new SourceService(store).register({
        ...record,
        config: { ...config, ...(setup ? { setup } : {}) },
      });
      const network =
        config['network'] === true
          ? 'the whole network'
          : allowHosts.length > 0
            ? allowHosts.join(', ')
            : 'no network';
      process.stdout.write(
        `Updated ${sourceName(id)}: commands may reach ${network}${setup ? `; setup ${JSON.stringify(setup)}` : ''}\n`,
      );
    });
  });
}
