// A fake Gitea/Forgejo REST v1 API on 127.0.0.1 for tests: repositories backed by real local bare
// repositories (their clone_url is the path), branches, pull requests. Every request is recorded, so
// tests can check exactly which calls the Gitea provider made.
import { branchesOf } from './fake-github.ts';
import { type HostCall, pageOf, startFakeHost } from './fake-host.ts';

export interface FakeGiteaRepo {
  owner: string;
  repo: string;
  private?: boolean;
  defaultBranch?: string;
  /** A local bare repository (also used as clone_url). */
  path: string;
}

/** A recorded request; `auth`: whether a known `token X` came along (the token itself is not kept). */
export type GiteaCall = HostCall<'ok' | 'bad' | 'none'>;

export interface FakeGiteaPull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
}

export interface FakeGitea {
  url: string;
  calls: GiteaCall[];
  pulls(owner: string, repo: string): FakeGiteaPull[];
  close(): Promise<void>;
}

export async function startFakeGitea(repos: FakeGiteaRepo[], tokens: string[]): Promise<FakeGitea> {
  const key = (o: string, r: string) => `${o}/${r}`.toLowerCase();
  const byName = new Map(repos.map((r) => [key(r.owner, r.repo), r]));
  const pulls = new Map<string, FakeGiteaPull[]>(repos.map((r) => [key(r.owner, r.repo), []]));

  const repoJson = (r: FakeGiteaRepo) => ({
    name: r.repo,
    full_name: `${r.owner}/${r.repo}`,
    owner: { login: r.owner },
    private: r.private ?? false,
    default_branch: r.defaultBranch ?? 'main',
    clone_url: r.path,
    html_url: `https://gitea.example/${r.owner}/${r.repo}`,
  });
  const pullJson = (r: FakeGiteaRepo, p: FakeGiteaPull) => ({
    number: p.number,
    html_url: `https://gitea.example/${r.owner}/${r.repo}/pulls/${p.number}`,
    title: p.title,
    body: p.body,
    state: p.state,
    head: { ref: p.head },
    base: { ref: p.base },
  });

  const host = await startFakeHost({
    auth: (req) => {
      const [scheme, credential] = (req.headers.authorization ?? '').split(' ');
      if (scheme === undefined || scheme === '') return 'none';
      return scheme === 'token' && tokens.includes(credential ?? '') ? 'ok' : 'bad';
    },
    route: ({ method, url: u, body, auth, send }) => {
      const page = <T>(items: T[]) => {
        const p = pageOf(u, items, 'limit', 30);
        send(200, p.items, { 'x-total-count': String(items.length) });
      };
      if (auth !== 'ok') return send(401, { message: 'user does not exist [uid: 0, name: ]', url: '' });

      const m = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(u.pathname);
      const repo = m ? byName.get(key(m[1]!, m[2]!)) : undefined;
      if (!m || !repo) return send(404, { message: 'GetRepositoryByName', url: '' });
      const prs = pulls.get(key(repo.owner, repo.repo))!;
      const rest = m[3] ?? '';
      if (method === 'GET' && rest === '') return send(200, repoJson(repo));
      if (method === 'GET' && rest === '/branches') {
        return page(branchesOf(repo.path).map((name) => ({ name, protected: false })));
      }
      if (method === 'GET' && rest === '/pulls') {
        const state = u.searchParams.get('state') ?? 'open';
        return page(prs.filter((p) => state === 'all' || p.state === state).map((p) => pullJson(repo, p)));
      }
      if (method === 'POST' && rest === '/pulls') {
        const branches = branchesOf(repo.path);
        if (!branches.includes(body?.head) || !branches.includes(body?.base)) {
          return send(404, { message: 'branch does not exist' });
        }
        if (prs.some((p) => p.state === 'open' && p.head === body.head && p.base === body.base)) {
          return send(409, { message: 'pull request already exists for these targets' });
        }
        const pr: FakeGiteaPull = {
          number: prs.length + 1,
          title: body.title,
          body: body.body ?? '',
          head: body.head,
          base: body.base,
          state: 'open',
        };
        prs.push(pr);
        return send(201, pullJson(repo, pr));
      }
      const one = /^\/pulls\/(\d+)$/.exec(rest);
      if (method === 'PATCH' && one) {
        const pr = prs.find((p) => p.number === Number(one[1]));
        if (!pr) return send(404, { message: 'not found' });
        if (body.title !== undefined) pr.title = body.title;
        if (body.body !== undefined) pr.body = body.body;
        return send(201, pullJson(repo, pr));
      }
      return send(404, { message: `No fake for ${method} ${u.pathname}` });
    },
  });
  return { ...host, pulls: (owner, repo) => pulls.get(key(owner, repo)) ?? [] };
}
