/**
 * Test helpers for git credentials: a git smart-HTTP server on 127.0.0.1 that serves bare
 * repositories (through `git http-backend`) only to requests with the right Basic credentials, and
 * a `git` shim on PATH that records the argv of every git the server spawns, so a test can grep
 * them for a token.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface AuthGitServer {
  /** `http://127.0.0.1:PORT` — append `/<repo>.git`. */
  origin: string;
  /** Requests refused (401) and served. */
  refused: number;
  served: number;
  close(): Promise<void>;
}

/** Serves the bare repositories under `root` to `username:password` only. */
export async function startAuthGitServer(
  root: string,
  creds: { username: string; password: string },
): Promise<AuthGitServer> {
  const expected = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  const state = { refused: 0, served: 0 };
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      state.refused++;
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
      return;
    }
    state.served++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
          : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_USER: creds.username,
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    child.on('close', () => res.end());
    child.on('error', () => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get refused() {
      return state.refused;
    },
    get served() {
      return state.served;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface GitArgvRecorder {
  /** Every recorded `git` command line so far, one per element (arguments joined by NUL). */
  calls(): string[];
  /** Puts the shim first on this process's PATH (every git the code under test spawns). */
  install(): void;
  /** Restores PATH and removes the shim. */
  uninstall(): void;
}

export function recordGitArgv(): GitArgvRecorder {
  const dir = mkdtempSync(join(tmpdir(), 'stint-git-argv-'));
  const log = join(dir, 'argv.log');
  const realGit = ['/usr/bin/git', '/bin/git', '/usr/local/bin/git'].find((p) => existsSync(p)) ?? 'git';
  // One line per call: the arguments, each followed by NUL.
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> '${log}'\necho >> '${log}'\nexec '${realGit}' "$@"\n`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  const saved = process.env['PATH'];
  return {
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    install() {
      process.env['PATH'] = `${dir}${delimiter}${saved ?? ''}`;
    },
    uninstall() {
      process.env['PATH'] = saved;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
