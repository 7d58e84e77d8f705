// A fake Gitea/Forgejo REST v1 API on 127.0.0.1 for tests: repositories backed by real local bare
// repositories (their clone_url is the path), branches, pull requests. Every request is recorded, so
// tests can check exactly which calls the Gitea provider made.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { branchesOf } from './fake-github.ts';

export interface FakeGiteaRepo {
  owner: string;
  repo: string;
  private?: boolean;
  defaultBranch?: string;
  /** A local bare repository (also used as clone_url). */
  path: string;
}

export interface GiteaCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  /** Whether a known `token X` came along ('ok', 'bad' or 'none'; the token itself is not kept). */
  auth: 'ok' | 'bad' | 'none';
}

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
  const calls: GiteaCall[] = [];
  let url = '';

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

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    const [scheme, credential] = (req.headers.authorization ?? '').split(' ');
    const auth =
      scheme === undefined || scheme === ''
        ? 'none'
        : scheme === 'token' && tokens.includes(credential ?? '')
          ? 'ok'
          : 'bad';
    calls.push({
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      body,
      auth,
    });
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const page = <T>(items: T[]) => {
      const limit = Number(u.searchParams.get('limit') ?? 30);
      const n = Number(u.searchParams.get('page') ?? 1);
      res.setHeader('x-total-count', String(items.length));
      send(200, items.slice((n - 1) * limit, n * limit));
    };
    if (auth !== 'ok') return send(401, { message: 'user does not exist [uid: 0, name: ]', url: '' });

    const m = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(u.pathname);
    const repo = m ? byName.get(key(m[1]!, m[2]!)) : undefined;
    if (!m || !repo) return send(404, { message: 'GetRepositoryByName', url: '' });
    const prs = pulls.get(key(repo.owner, repo.repo))!;
    const rest = m[3] ?? '';
    if (req.method === 'GET' && rest === '') return send(200, repoJson(repo));
    if (req.method === 'GET' && rest === '/branches') {
      return page(branchesOf(repo.path).map((name) => ({ name, protected: false })));
    }
    if (req.method === 'GET' && rest === '/pulls') {
      const state = u.searchParams.get('state') ?? 'open';
      return page(prs.filter((p) => state === 'all' || p.state === state).map((p) => pullJson(repo, p)));
    }
    if (req.method === 'POST' && rest === '/pulls') {
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
    if (req.method === 'PATCH' && one) {
      const pr = prs.find((p) => p.number === Number(one[1]));
      if (!pr) return send(404, { message: 'not found' });
      if (body.title !== undefined) pr.title = body.title;
      if (body.body !== undefined) pr.body = body.body;
      return send(201, pullJson(repo, pr));
    }
    return send(404, { message: `No fake for ${req.method} ${u.pathname}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(e) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    pulls: (owner, repo) => pulls.get(key(owner, repo)) ?? [],
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
