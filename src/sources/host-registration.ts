/**
 * `stint sources add` for GitLab and Gitea/Forgejo sources: the project is looked up through the
 * host's API with the given token (which also yields the clone URL when `--git-url` is left out, the
 * default branch and the visibility). Only where the token is found is stored, never the token.
 */
import type { SourceRecord } from '../store/store.ts';
import { GiteaProvider, lookupGiteaRepo } from './gitea/gitea-provider.ts';
import { GitLabProvider, lookupGitLabProject } from './gitlab/gitlab-provider.ts';
import type { Registration } from './registration.ts';
import { type HostSourceConfig, parseSourceConfig } from './source-config.ts';

export interface HostRegistrationInput {
  id: string;
  gitUrl?: string;
  tokenEnv?: string;
  tokenFile?: string;
  url?: string;
  /** GitLab: GROUP[/SUBGROUP…]/PROJECT; Gitea: OWNER/REPO; default: from the id HOST/OWNER/REPO. */
  project?: string;
}

export type Host = 'gitlab' | 'gitea';

const FLAG: Record<Host, { project: string; shape: string }> = {
  gitlab: { project: '--gitlab-project', shape: 'GROUP/PROJECT' },
  gitea: { project: '--gitea-repo', shape: 'OWNER/REPO' },
};

export function wantsHost(input: Omit<HostRegistrationInput, 'id' | 'gitUrl'>): boolean {
  return (
    input.tokenEnv !== undefined ||
    input.tokenFile !== undefined ||
    input.url !== undefined ||
    input.project !== undefined
  );
}

export async function resolveHostRegistration(
  host: Host,
  input: HostRegistrationInput,
  env: NodeJS.ProcessEnv,
): Promise<Registration> {
  const flag = `--${host}-token`;
  if (input.tokenEnv !== undefined && input.tokenFile !== undefined) {
    throw new Error(`give either ${flag}-env or ${flag}-file, not both`);
  }
  if (input.tokenEnv === undefined && input.tokenFile === undefined) {
    throw new Error(`${flag}-env NAME (or ${flag}-file PATH) is required for a ${host} source`);
  }
  if (input.project === undefined && !input.id.startsWith(`${host}/`)) {
    throw new Error(
      `${FLAG[host].project} ${FLAG[host].shape} is needed when the source id is not ${host}/${FLAG[host].shape}`,
    );
  }
  const raw: Record<string, unknown> = {};
  if (input.tokenEnv !== undefined) raw.tokenEnv = input.tokenEnv;
  if (input.tokenFile !== undefined) raw.tokenFile = input.tokenFile;
  if (input.url !== undefined) raw.url = input.url;
  if (input.project !== undefined) raw.project = input.project;
  let config: HostSourceConfig;
  try {
    config = parseSourceConfig({ [host]: raw })[host]!;
  } catch (e) {
    // Name the flag, not the stored field.
    throw new Error(
      (e as Error).message
        .replace(`config.${host}.project`, FLAG[host].project)
        .replace(`config.${host}.url`, `--${host}-url`)
        .replace(`config.${host}.tokenEnv`, `${flag}-env`),
    );
  }
  const [, owner, repo] = input.id.split('/') as [string, string, string];
  const project = config.project ?? `${owner}/${repo}`;
  const found =
    host === 'gitlab'
      ? await lookupGitLabProject(config, project, env)
      : await lookupGiteaRepo(config, project, env);
  const gitUrl = input.gitUrl ?? found.cloneUrl;
  const probe: SourceRecord = {
    tenantId: '',
    id: input.id,
    gitUrl,
    isPrivate: found.isPrivate,
    config: { [host]: config },
    createTime: 0,
  };
  const provider = host === 'gitlab' ? new GitLabProvider(env) : new GiteaProvider(env);
  return {
    gitUrl,
    // Registration reads the branches through git too, with the token as sessions will.
    remote: await provider.remote(probe),
    [host]: config,
    ...(found.defaultBranch ? { defaultBranch: found.defaultBranch } : {}),
    isPrivate: found.isPrivate,
  };
}
