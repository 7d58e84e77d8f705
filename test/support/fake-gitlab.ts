// A fake GitLab REST v4 API on 127.0.0.1 for tests: projects backed by real local bare repositories
// (their http_url_to_repo is the path), branches, merge requests. Every request is recorded, so tests
// can check exactly which calls the GitLab provider made.
import { branchesOf } from './fake-github.ts';
import { type HostCall, pageOf, startFakeHost } from './fake-host.ts';

export interface FakeProject {
  /** Full path, e.g. acme/widgets or acme/sub/widgets. */
  path: string;
  visibility?: 'private' | 'internal' | 'public';
  defaultBranch?: string;
  /** A local bare repository (also used as http_url_to_repo). */
  repo: string;
}

/** A recorded request (the path URL-decoded); `auth`: whether a known PRIVATE-TOKEN came along. */
export type GitLabCall = HostCall<'ok' | 'bad' | 'none'>;

export interface FakeMergeRequest {
  iid: number;
  title: string;
  description: string;
  source_branch: string;
  target_branch: string;
  state: 'opened' | 'closed' | 'merged';
}

export interface FakeGitLab {
  url: string;
  calls: GitLabCall[];
  mergeRequests(path: string): FakeMergeRequest[];
  close(): Promise<void>;
}

export async function startFakeGitLab(projects: FakeProject[], tokens: string[]): Promise<FakeGitLab> {
  const byPath = new Map(projects.map((p, i) => [p.path.toLowerCase(), { ...p, id: i + 1 }]));
  const mrs = new Map<string, FakeMergeRequest[]>(projects.map((p) => [p.path.toLowerCase(), []]));

  const projectJson = (p: FakeProject & { id: number }) => ({
    id: p.id,
    path_with_namespace: p.path,
    default_branch: p.defaultBranch ?? 'main',
    visibility: p.visibility ?? 'private',
    http_url_to_repo: p.repo,
    web_url: `https://gitlab.example/${p.path}`,
  });
  const mrJson = (p: FakeProject, m: FakeMergeRequest) => ({
    ...m,
    web_url: `https://gitlab.example/${p.path}/-/merge_requests/${m.iid}`,
  });

  const host = await startFakeHost({
    auth: (req) => {
      const token = req.headers['private-token'];
      return token === undefined ? 'none' : tokens.includes(String(token)) ? 'ok' : 'bad';
    },
    decodePath: true,
    route: ({ method, url: u, path, body, auth, send }) => {
      const page = <T>(items: T[]) => {
        const p = pageOf(u, items, 'per_page', 20);
        const headers: Record<string, string> = { 'x-total': String(items.length), 'x-page': String(p.page) };
        if (p.next) {
          headers.link = `<${p.next}>; rel="next"`;
          headers['x-next-page'] = String(p.page + 1);
        }
        send(200, p.items, headers);
      };
      if (auth !== 'ok') return send(401, { message: '401 Unauthorized' });

      const m = /^\/api\/v4\/projects\/(.+?)(\/repository\/branches|\/merge_requests(?:\/(\d+))?)?$/.exec(
        path,
      );
      const project = m ? byPath.get(m[1]!.toLowerCase()) : undefined;
      if (!m || !project) return send(404, { message: '404 Project Not Found' });
      const list = mrs.get(project.path.toLowerCase())!;
      const rest = m[2] ?? '';
      if (method === 'GET' && rest === '') return send(200, projectJson(project));
      if (method === 'GET' && rest === '/repository/branches') {
        return page(branchesOf(project.repo).map((name) => ({ name, protected: false })));
      }
      if (method === 'GET' && rest === '/merge_requests') {
        const state = u.searchParams.get('state') ?? 'all';
        const source = u.searchParams.get('source_branch');
        return page(
          list
            .filter((x) => (state === 'all' || x.state === state) && (!source || x.source_branch === source))
            .map((x) => mrJson(project, x)),
        );
      }
      if (method === 'POST' && rest === '/merge_requests') {
        const branches = branchesOf(project.repo);
        if (!branches.includes(body?.source_branch) || !branches.includes(body?.target_branch)) {
          return send(422, { message: ['branch does not exist'] });
        }
        if (list.some((x) => x.state === 'opened' && x.source_branch === body.source_branch)) {
          return send(409, { message: ['Another open merge request already exists for this source branch'] });
        }
        const mr: FakeMergeRequest = {
          iid: list.length + 1,
          title: body.title,
          description: body.description ?? '',
          source_branch: body.source_branch,
          target_branch: body.target_branch,
          state: 'opened',
        };
        list.push(mr);
        return send(201, mrJson(project, mr));
      }
      if (method === 'PUT' && m[3]) {
        const mr = list.find((x) => x.iid === Number(m[3]));
        if (!mr) return send(404, { message: '404 Not found' });
        if (body.title !== undefined) mr.title = body.title;
        if (body.description !== undefined) mr.description = body.description;
        return send(200, mrJson(project, mr));
      }
      return send(404, { message: `No fake for ${method} ${path}` });
    },
  });
  return { ...host, mergeRequests: (path) => mrs.get(path.toLowerCase()) ?? [] };
}
