// What the fake git hosts (fake-github.ts, fake-gitlab.ts, fake-gitea.ts) share: an HTTP server on
// 127.0.0.1 and a random free port that reads each JSON request, records it (method, path, query,
// body and how it authenticated, never the credential), hands it to the host's routes, answers a
// route's exception with a 500, and pages lists.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostCall<A extends string = string> {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  auth: A;
}

export interface HostRequest<A extends string = string> extends HostCall<A> {
  /** The request URL on the fake's own address (the path still encoded). */
  url: URL;
  headers: IncomingHttpHeaders;
  send(status: number, json: unknown, headers?: Record<string, string>): void;
}

export interface FakeHostOptions<A extends string> {
  /** How the request authenticated, as recorded (e.g. 'ok' | 'bad' | 'none'). */
  auth(req: IncomingMessage): A;
  /** Record and route the URL-decoded path (GitLab's project ids are encoded). */
  decodePath?: boolean;
  route(r: HostRequest<A>): unknown;
}

export interface FakeHost<A extends string = string> {
  url: string;
  calls: HostCall<A>[];
  close(): Promise<void>;
}

export async function startFakeHost<A extends string>(opts: FakeHostOptions<A>): Promise<FakeHost<A>> {
  const calls: HostCall<A>[] = [];
  let base = '';
  const handle = async (req: IncomingMessage, send: HostRequest['send']) => {
    const url = new URL(req.url ?? '/', base);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: HostCall<A> = {
      method: req.method ?? 'GET',
      path: opts.decodePath ? decodeURIComponent(url.pathname) : url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: text ? JSON.parse(text) : undefined,
      auth: opts.auth(req),
    };
    calls.push(call);
    await opts.route({ ...call, url, headers: req.headers, send });
  };
  const server: Server = createServer((req, res) => {
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    handle(req, send).catch((e) => send(500, { message: String(e) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One page of `items` as the request's `page` and per-page parameters ask, and the next page's URL. */
export function pageOf<T>(
  url: URL,
  items: readonly T[],
  perParam: string,
  perDefault: number,
): { items: T[]; page: number; next: URL | undefined } {
  const per = Number(url.searchParams.get(perParam) ?? perDefault);
  const page = Number(url.searchParams.get('page') ?? 1);
  let next: URL | undefined;
  if (page * per < items.length) {
    next = new URL(url);
    next.searchParams.set('page', String(page + 1));
  }
  return { items: items.slice((page - 1) * per, page * per), page, next };
}
