import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../api/auth.ts';
import { isValidSourceId, sourceName } from '../domain/names.ts';
import { SourceService } from '../services/source-service.ts';
import { redactUrl } from '../workspace/redact.ts';
import { isSafeRefName } from '../workspace/refs.ts';
import { listRemoteBranches } from '../workspace/remote.ts';
import { addDataDirOption, withStore } from './store-option.ts';

interface AddOptions {
  gitUrl: string;
  defaultBranch?: string;
  private?: boolean;
  tenant: string;
  dataDir?: string;
}

export function registerSourceCommands(program: Command): void {
  const sources = program.command('sources').description('Manage the repositories sessions can work on.');

  addDataDirOption(
    sources
      .command('add <id>')
      .description(
        'Register a source, e.g. `stint sources add github/acme/widgets --git-url /srv/git/widgets.git`.',
      )
      .requiredOption('--git-url <url>', 'any URL or path git can clone')
      .option('--default-branch <branch>', 'branch used when a session names none (default: the remote HEAD)')
      .option('--private', 'mark the repository private')
      .option('--tenant <tenant>', 'tenant the source belongs to', DEFAULT_TENANT),
  ).action(async (id: string, opts: AddOptions) => {
    if (!isValidSourceId(id)) throw new Error(`source id must look like provider/owner/repo; got '${id}'`);
    if (opts.defaultBranch !== undefined && !isSafeRefName(opts.defaultBranch)) {
      throw new Error(`--default-branch is not a valid branch name: '${opts.defaultBranch}'`);
    }
    let remote: { branches: string[]; defaultBranch?: string };
    try {
      remote = await listRemoteBranches(opts.gitUrl);
    } catch (e) {
      throw new Error(`cannot read ${redactUrl(opts.gitUrl)}: ${(e as Error).message}`);
    }
    if (opts.defaultBranch && remote.branches.length > 0 && !remote.branches.includes(opts.defaultBranch)) {
      throw new Error(`branch '${opts.defaultBranch}' does not exist in ${redactUrl(opts.gitUrl)}`);
    }
    await withStore(opts, async (store) => {
      const svc = new SourceService(store);
      const defaultBranch = opts.defaultBranch ?? remote.defaultBranch;
      await svc.register({
        tenantId: opts.tenant,
        id,
        gitUrl: opts.gitUrl,
        ...(defaultBranch ? { defaultBranch } : {}),
        isPrivate: opts.private ?? false,
        config: {},
      });
      process.stdout.write(
        `Added ${sourceName(id)} -> ${redactUrl(opts.gitUrl)} (default branch ${defaultBranch ?? 'unknown'}, ${remote.branches.length} branches)\n`,
      );
    });
  });

  addDataDirOption(
    sources
      .command('list')
      .alias('ls')
      .description('List registered sources.')
      .option('--tenant <tenant>', 'tenant', DEFAULT_TENANT),
  ).action(async (opts: { tenant: string; dataDir?: string }) => {
    await withStore(opts, async (store) => {
      const rows = await store.listSources(opts.tenant, { limit: 10_000 });
      for (const s of rows) {
        process.stdout.write(`${sourceName(s.id)}\t${redactUrl(s.gitUrl)}\t${s.defaultBranch ?? ''}\n`);
      }
    });
  });

  addDataDirOption(
    sources
      .command('remove <id>')
      .alias('rm')
      .description('Unregister a source.')
      .option('--tenant <tenant>', 'tenant', DEFAULT_TENANT),
  ).action(async (id: string, opts: { tenant: string; dataDir?: string }) => {
    await withStore(opts, async (store) => {
      if (!(await store.deleteSource(opts.tenant, id))) throw new Error(`no source ${id}`);
      process.stdout.write(`Removed ${sourceName(id)}\n`);
    });
  });
}
