/**
 * The wire shape of a Source, for every host. The official SDK maps a source only when it carries
 * `githubRepo` ("Unknown source type" otherwise, and for the whole list), so every source has one,
 * whatever serves it: owner and repo from the id (`provider/owner/repo`), its default branch and
 * branches. Stint's own description of the host sits beside it: `provider` (the kind of source
 * provider that serves it: git, github, ...) and, for ids outside `github/`, `gitRepo` with the same
 * fields (what older Stint clients read). Every source provider lists through this one function.
 */
export interface SourceShapeInput {
  /** `provider/owner/repo`, e.g. `github/acme/widgets` or `gitlab/team/plainrepo`. */
  id: string;
  /** Resource name, `sources/{id}`. */
  name: string;
  isPrivate: boolean;
  defaultBranch: string | undefined;
  branches: readonly string[];
  /** Kind of the provider serving the source (SourceProvider.kind). */
  provider: string;
}

export interface RepoShape {
  owner: string;
  repo: string;
  isPrivate: boolean;
  defaultBranch: { displayName: string };
  branches: { displayName: string }[];
}

export function sourceShape(s: SourceShapeInput): Record<string, unknown> {
  const [host = '', owner = '', ...rest] = s.id.split('/');
  const repo: RepoShape = {
    owner,
    repo: rest.join('/'),
    isPrivate: s.isPrivate,
    defaultBranch: { displayName: s.defaultBranch ?? 'main' },
    branches: s.branches.map((displayName) => ({ displayName })),
  };
  const out: Record<string, unknown> = { name: s.name, id: s.id, githubRepo: repo, provider: s.provider };
  if (host !== 'github') out.gitRepo = { ...repo, branches: [...repo.branches] };
  return out;
}
