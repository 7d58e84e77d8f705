// The watcher's end of the agent's fsmonitor hook (src/workspace/fsmonitor/agent-hook.ts): one Unix
// socket per watched checkout, in its .git (shown read-only in the sandbox, so the agent cannot
// replace it), answering "<token>\n" with "<token>\0<path>\0…" or closing without a word when the
// answer is not known. Whoever can reach the socket is the checkout's own agent: it learns nothing
// but its own checkout's changed paths, and a request is bounded in size, time and number.
import { lstatSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { SOCKET_FILE } from '../fsmonitor/agent-hook.ts';

const MAX_REQUEST = 1024;
const MAX_OPEN = 16;
const TIMEOUT_MS = 30_000;

/** Answers a token with the reply's bytes, or undefined when not known. */
export type FsmonitorAnswer = (token: string) => Promise<Buffer | undefined>;

/** Listens at `<root>/.git/<socket>`; undefined when that is not a real directory or cannot be bound. */
export function listenFsmonitor(root: string, answer: FsmonitorAnswer): Server | undefined {
  const dotGit = join(root, '.git');
  // Never through a link: the socket is made (and a stale one removed) in the checkout's own .git.
  if (lstatSync(dotGit, { throwIfNoEntry: false })?.isDirectory() !== true) return undefined;
  const path = join(dotGit, SOCKET_FILE);
  if (lstatSync(path, { throwIfNoEntry: false })?.isSocket()) rmSync(path, { force: true });
  let open = 0;
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    if (++open > MAX_OPEN) conn.destroy();
    conn.on('close', () => open--);
    conn.on('error', () => conn.destroy());
    conn.setTimeout(TIMEOUT_MS, () => conn.destroy());
    serve(conn, answer);
  });
  server.on('error', () => server.close());
  // A socket's path is limited to ~107 bytes and a checkout's may be longer: bind a relative name
  // from inside the directory (listen binds synchronously; nothing else here uses relative paths).
  const cwd = process.cwd();
  try {
    process.chdir(dotGit);
    server.listen(SOCKET_FILE);
  } catch {
    server.close();
    return undefined;
  } finally {
    process.chdir(cwd);
  }
  server.unref();
  return server;
}

/** Stops listening and removes the socket file (when it is still ours). */
export function closeFsmonitor(server: Server, root: string): void {
  server.close();
  const path = join(root, '.git', SOCKET_FILE);
  if (lstatSync(path, { throwIfNoEntry: false })?.isSocket()) rmSync(path, { force: true });
}

function serve(conn: Socket, answer: FsmonitorAnswer): void {
  let request = '';
  let asked = false;
  const ask = (token: string) => {
    if (asked) return;
    asked = true;
    answer(token).then(
      (reply) => (reply === undefined ? conn.destroy() : conn.end(reply)),
      () => conn.destroy(),
    );
  };
  conn.setEncoding('utf8');
  conn.on('data', (chunk: string) => {
    request += chunk;
    const nl = request.indexOf('\n');
    if (nl >= 0) ask(request.slice(0, nl));
    else if (request.length > MAX_REQUEST) conn.destroy();
  });
  conn.on('end', () => {
    if (!asked) conn.destroy();
  });
}
