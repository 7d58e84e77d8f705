/** The `--setup…` and `--cache…` options of `stint sources add|update` and the config they make. */
import type { Command } from 'commander';
import { duration } from '../sources/repo-config.ts';
import { parseSetupConfig, type SourceSetupConfig } from '../sources/setup-config.ts';

export interface SetupOptions {
  setup?: string[];
  setupTimeout?: string;
  setupSecret?: string[];
  cachePath?: string[];
  cacheKeyFile?: string[];
  /** --setup-cache / --no-setup-cache (undefined: not given). */
  setupCache?: boolean;
  setupAllowHost?: string[];
  clearSetup?: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function addSetupOptions(cmd: Command, update = false): Command {
  cmd
    .option(
      '--setup <command>',
      'a setup command run in the sandbox after checkout, before the agent starts (repeatable; a .stint/setup.sh in the repository wins)',
      collect,
    )
    .option('--setup-timeout <duration>', 'time limit of setup, e.g. 15m (default STINT_SETUP_TIMEOUT, 20m)')
    .option('--setup-secret <name>', 'a secret setup may see (repeatable; setup sees no other)', collect)
    .option(
      '--setup-allow-host <pattern>',
      "a host setup (not the agent's commands) may reach through the allowlist proxy (repeatable)",
      collect,
    )
    .option(
      '--cache-path <path>',
      'a path setup produces that is cached (repeatable; default: what setup created that git ignores)',
      collect,
    )
    .option(
      '--cache-key-file <path>',
      'a file whose content keys the setup cache, `*` within a name (repeatable; default: the usual lockfiles)',
      collect,
    )
    .option('--setup-cache', 'cache what setup produced (the default)')
    .option('--no-setup-cache', 'run setup in every session, never from the cache');
  if (update)
    cmd.option('--clear-setup', 'remove every setup setting (before applying the other --setup… options)');
  return cmd;
}

/** The source's setup config after applying the options to `current` (undefined: no setup settings). */
export function applySetupOptions(current: unknown, opts: SetupOptions): SourceSetupConfig | undefined {
  const base: SourceSetupConfig = opts.clearSetup || current === undefined ? {} : parseSetupConfig(current);
  const next: SourceSetupConfig = { ...base };
  if (opts.setup) next.commands = opts.setup;
  if (opts.setupTimeout !== undefined) {
    next.timeoutMs = duration('--setup-timeout', opts.setupTimeout, 0, (m) => new Error(m));
    if (!/[a-z]$/.test(opts.setupTimeout.trim())) next.timeoutMs *= 1000; // a bare number is seconds
  }
  if (opts.setupSecret) next.secrets = opts.setupSecret;
  if (opts.setupAllowHost) next.allowHosts = opts.setupAllowHost;
  if (opts.cachePath) next.cachePaths = opts.cachePath;
  if (opts.cacheKeyFile) next.cacheKeyFiles = opts.cacheKeyFile;
  if (opts.setupCache === false) next.cache = false;
  if (opts.setupCache === true) delete next.cache;
  // Validated like the stored config, so a bad option is refused here, naming the field.
  const checked = parseSetupConfig(next);
  return Object.keys(checked).length > 0 ? checked : undefined;
}
