// A fake GitHub REST API on 127.0.0.1 for tests: repositories backed by real local bare
// repositories (their clone_url is the path), pull requests, and GitHub App installation tokens.
// Every request is recorded, so tests can check exactly which calls Octokit made.
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { type HostCall, pageOf, startFakeHost } from './fake-host.ts';

export interface FakeRepo {
  owner: string;
  repo: string;
  private?: boolean;
  defaultBranch?: string;
  /** A local bare repository (also used as clone_url). */
  path: string;
}

/** A recorded request; `auth`: 'token', 'bearer' or 'none' (the credential itself is not kept). */
export type RecordedCall = HostCall;

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
}

export interface FakeGitHubOptions {
  /** Tokens accepted as `token X` (a personal access token). */
  tokens?: string[];
  /**
   * Called after a pull request is created and before the response is sent (awaited): a test can
   * hold the caller right there, e.g. to kill it between creating the pull request and recording it.
   */
  afterCreatePull?: (pull: FakePull) => Promise<void>;
  /** A GitHub App: its id, public key (PEM) and installations (id -> repositories "owner/repo"). */
  app?: { id: string; publicKey: string; installations: Record<number, string[]> };
}

export interface FakeGitHub {
  url: string;
  calls: RecordedCall[];
  pulls(owner: string, repo: string): FakePull[];
  addRepo(repo: FakeRepo): void;
  close(): Promise<void>;
}

export async function startFakeGitHub(repos: FakeRepo[], opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const byName = new Map<string, FakeRepo>();
  const pulls = new Map<string, FakePull[]>();
  const installationTokens = new Map<string, number>();
  const addRepo = (r: FakeRepo) => {
    byName.set(`${r.owner}/${r.repo}`.toLowerCase(), r);
    pulls.set(`${r.owner}/${r.repo}`.toLowerCase(), []);
  };
  for (const r of repos) addRepo(r);

  const repoJson = (r: FakeRepo) => ({
    name: r.repo,
    full_name: `${r.owner}/${r.repo}`,
    owner: { login: r.owner },
    private: r.private ?? false,
    default_branch: r.defaultBranch ?? 'main',
    clone_url: r.path,
    html_url: `https://github.example/${r.owner}/${r.repo}`,
  });
  const pullJson = (r: FakeRepo, p: FakePull) => ({
    number: p.number,
    html_url: `https://github.example/${r.owner}/${r.repo}/pull/${p.number}`,
    title: p.title,
    body: p.body,
    state: p.state,
    head: { ref: p.head, label: `${r.owner}:${p.head}` },
    base: { ref: p.base },
  });

  const host = await startFakeHost({
    auth: (req) => (req.headers.authorization ?? '').split(' ')[0]?.toLowerCase() || 'none',
    route: async ({ method, url: u, path, body, headers: requestHeaders, send }) => {
      const [scheme = 'none', credential = ''] = (requestHeaders.authorization ?? '').split(' ');
      const page = <T>(items: T[], wrap?: (xs: T[]) => unknown) => {
        const p = pageOf(u, items, 'per_page', 30);
        send(200, wrap ? wrap(p.items) : p.items, p.next ? { link: `<${p.next}>; rel="next"` } : {});
      };

      // Who is calling.
      let installation: number | undefined;
      let appCaller = false;
      if (scheme.toLowerCase() === 'bearer' && opts.app) {
        appCaller = verifyJwt(credential, opts.app.id, opts.app.publicKey);
        if (!appCaller) return send(401, { message: 'Bad JWT' });
      } else if (scheme.toLowerCase() === 'token') {
        installation = installationTokens.get(credential);
        if (installation === undefined && !(opts.tokens ?? []).includes(credential)) {
          return send(401, { message: 'Bad credentials' });
        }
      } else {
        return send(401, { message: 'Requires authentication' });
      }
      const visible = (r: FakeRepo) =>
        installation === undefined ||
        (opts.app?.installations[installation] ?? []).includes(`${r.owner}/${r.repo}`);

      if (appCaller) {
        if (method === 'GET' && path === '/app/installations') {
          return page(Object.keys(opts.app!.installations).map((id) => ({ id: Number(id) })));
        }
        const tokenFor = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
        if (method === 'POST' && tokenFor) {
          const id = Number(tokenFor[1]);
          if (!opts.app!.installations[id]) return send(404, { message: 'Not Found' });
          const token = `ghs_${id}_${Math.random().toString(36).slice(2)}`;
          installationTokens.set(token, id);
          return send(201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString() });
        }
        const installationOf = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path);
        if (method === 'GET' && installationOf) {
          const full = `${installationOf[1]}/${installationOf[2]}`;
          const id = Object.entries(opts.app!.installations).find(([, rs]) => rs.includes(full))?.[0];
          return id ? send(200, { id: Number(id) }) : send(404, { message: 'Not Found' });
        }
        return send(403, { message: 'An app JWT cannot do this' });
      }

      if (method === 'GET' && path === '/user/repos' && installation === undefined) {
        return page([...byName.values()].map(repoJson));
      }
      if (method === 'GET' && path === '/installation/repositories' && installation !== undefined) {
        const list = [...byName.values()].filter(visible).map(repoJson);
        return page(list, (xs) => ({ total_count: list.length, repositories: xs }));
      }
      const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
      if (m) {
        const repo = byName.get(`${m[1]}/${m[2]}`.toLowerCase());
        if (!repo || !visible(repo)) return send(404, { message: 'Not Found' });
        const rest = m[3] ?? '';
        const prs = pulls.get(`${repo.owner}/${repo.repo}`.toLowerCase())!;
        if (method === 'GET' && rest === '') return send(200, repoJson(repo));
        if (method === 'GET' && rest === '/branches') {
          return page(branchesOf(repo.path).map((name) => ({ name, protected: false })));
        }
        if (method === 'GET' && rest === '/pulls') {
          const state = u.searchParams.get('state') ?? 'open';
          const head = u.searchParams.get('head');
          const list = prs.filter(
            (p) => (state === 'all' || p.state === state) && (!head || `${repo.owner}:${p.head}` === head),
          );
          return page(list.map((p) => pullJson(repo, p)));
        }
        if (method === 'POST' && rest === '/pulls') {
          const branches = branchesOf(repo.path);
          if (!branches.includes(body?.head))
            return send(422, { message: `head ${body?.head} does not exist` });
          if (!branches.includes(body?.base))
            return send(422, { message: `base ${body?.base} does not exist` });
          if (prs.some((p) => p.state === 'open' && p.head === body.head)) {
            return send(422, { message: `A pull request already exists for ${repo.owner}:${body.head}.` });
          }
          const pr: FakePull = {
            number: prs.length + 1,
            title: body.title,
            body: body.body ?? '',
            head: body.head,
            base: body.base,
            state: 'open',
          };
          prs.push(pr);
          await opts.afterCreatePull?.(pr);
          return send(201, pullJson(repo, pr));
        }
        const patchPull = /^\/pulls\/(\d+)$/.exec(rest);
        if (method === 'PATCH' && patchPull) {
          const pr = prs.find((p) => p.number === Number(patchPull[1]));
          if (!pr) return send(404, { message: 'Not Found' });
          if (body.title !== undefined) pr.title = body.title;
          if (body.body !== undefined) pr.body = body.body;
          if (body.state !== undefined) pr.state = body.state;
          return send(200, pullJson(repo, pr));
        }
      }
      return send(404, { message: `No fake for ${method} ${path}` });
    },
  });
  return { ...host, pulls: (owner, repo) => pulls.get(`${owner}/${repo}`.toLowerCase()) ?? [], addRepo };
}

export function branchesOf(bare: string): string[] {
  const out = execFileSync('git', ['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/'], {
    cwd: bare,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  return out.split('\n').filter(Boolean).sort();
}

function verifyJwt(jwt: string, appId: string, publicKeyPem: string): boolean {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return false;
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${h}.${p}`),
    createPublicKey(publicKeyPem),
    Buffer.from(s, 'base64url'),
  );
  if (!ok) return false;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  return String(payload.iss) === appId && payload.exp > now && payload.iat <= now;
}
