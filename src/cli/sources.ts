import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../api/auth.ts';
import { isValidSourceId, sourceName } from '../domain/names.ts';
import { SourceService } from '../services/source-service.ts';
import { type RegistrationInput, resolveRegistration } from '../sources/registration.ts';
import { redactUrl } from '../workspace/redact.ts';
import { isSafeRefName } from '../workspace/refs.ts';
import { listRemoteBranches } from '../workspace/remote.ts';
import { addSetupOptions, applySetupOptions, type SetupOptions } from './source-setup-options.ts';
import { allowHostsOption, collect, registerSourceUpdate } from './source-update.ts';
import { addDataDirOption, withStore } from './store-option.ts';

interface AddOptions extends Omit<RegistrationInput, 'id'>, SetupOptions {
  defaultBranch?: string;
  private?: boolean;
  allowNetwork?: boolean;
  allowHost?: string[];
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
      .option(
        '--git-url <url>',
        'any URL or path git can clone (a plain git source unless GitHub options follow)',
      )
      .option(
        '--github-token-env <name>',
        'open pull requests on GitHub with the token in this server variable',
      )
      .option('--github-token-file <path>', 'open pull requests on GitHub with the token in this file')
      .option(
        '--github',
        "open pull requests on GitHub with the server's credentials (STINT_GITHUB_TOKEN or App)",
      )
      .option('--github-api-url <url>', 'GitHub Enterprise API, e.g. https://ghe.example.com/api/v3')
      .option(
        '--github-repo <owner/repo>',
        'the repository on GitHub (default: from the id github/OWNER/REPO)',
      )
      .option(
        '--gitlab-token-env <name>',
        'open merge requests on GitLab with the token (api scope) in this server variable',
      )
      .option('--gitlab-token-file <path>', 'open merge requests on GitLab with the token in this file')
      .option(
        '--gitlab-url <url>',
        'self-managed GitLab, e.g. https://gitlab.example.com (default https://gitlab.com)',
      )
      .option(
        '--gitlab-project <path>',
        'the project on GitLab, GROUP[/SUBGROUP…]/PROJECT (default: from the id gitlab/GROUP/PROJECT)',
      )
      .option(
        '--gitea-token-env <name>',
        'open pull requests on Gitea or Forgejo with the token in this server variable',
      )
      .option(
        '--gitea-token-file <path>',
        'open pull requests on Gitea or Forgejo with the token in this file',
      )
      .option(
        '--gitea-url <url>',
        'the Gitea or Forgejo instance, e.g. https://codeberg.org (default https://gitea.com)',
      )
      .option('--gitea-repo <owner/repo>', 'the repository there (default: from the id gitea/OWNER/REPO)')
      .option('--default-branch <branch>', 'branch used when a session names none (default: the remote HEAD)')
      .option('--private', 'mark the repository private')
      .option('--allow-network', "let this source's sessions' commands use the network (default: no network)")
      .option(
        '--allow-host <pattern>',
        "let this source's sessions' commands reach this host through the allowlist proxy (repeatable; e.g. registry.npmjs.org, '*.pypi.org')",
        collect,
        [],
      )
      .option('--tenant <tenant>', 'tenant the source belongs to', DEFAULT_TENANT),
  ).action(async (id: string, opts: AddOptions) => {
    if (!isValidSourceId(id)) throw new Error(`source id must look like provider/owner/repo; got '${id}'`);
    const setup = applySetupOptions(undefined, opts);
    if (opts.defaultBranch !== undefined && !isSafeRefName(opts.defaultBranch)) {
      throw new Error(`--default-branch is not a valid branch name: '${opts.defaultBranch}'`);
    }
    const allowHosts = allowHostsOption(opts.allowHost);
    const reg = await resolveRegistration({ ...opts, id });
    let remote: { branches: string[]; defaultBranch?: string };
    try {
      remote = await listRemoteBranches(reg.remote.url, { env: reg.remote.env });
    } catch (e) {
      throw new Error(`cannot read ${redactUrl(reg.gitUrl)}: ${(e as Error).message}`);
    }
    if (opts.defaultBranch && remote.branches.length > 0 && !remote.branches.includes(opts.defaultBranch)) {
      throw new Error(`branch '${opts.defaultBranch}' does not exist in ${redactUrl(reg.gitUrl)}`);
    }
    await withStore(opts, async (store) => {
      const svc = new SourceService(store);
      const defaultBranch = opts.defaultBranch ?? reg.defaultBranch ?? remote.defaultBranch;
      await svc.register({
        tenantId: opts.tenant,
        id,
        gitUrl: reg.gitUrl,
        ...(defaultBranch ? { defaultBranch } : {}),
        isPrivate: opts.private ?? reg.isPrivate ?? false,
        config: {
          ...(opts.allowNetwork ? { network: true } : {}),
          ...(allowHosts.length > 0 ? { allowHosts } : {}),
          ...(setup ? { setup } : {}),
          ...(reg.github ? { github: reg.github } : {}),
          ...(reg.gitlab ? { gitlab: reg.gitlab } : {}),
          ...(reg.gitea ? { gitea: reg.gitea } : {}),
        },
      });
      const reviews = reg.github
        ? ', pull requests on GitHub'
        : reg.gitlab
          ? ', merge requests on GitLab'
          : reg.gitea
            ? ', pull requests on Gitea'
            : '';
      process.stdout.write(
        `Added ${sourceName(id)} -> ${redactUrl(reg.gitUrl)} (default branch ${defaultBranch ?? 'unknown'}, ${remote.branches.length} branches${reviews})\n`,
      );
    });
  });

  addSetupOptions(sources.commands.find((c) => c.name() === 'add')!);
  registerSourceUpdate(sources);

  addDataDirOption(
    sources
      .command('list')
      .description('List the sources registered in a data dir (admin; `sources ls` asks a server).')
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
