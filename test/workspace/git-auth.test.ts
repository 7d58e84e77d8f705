// Credentials reach git through its environment only: never on the command line, in a repository's
// config, or in an error message.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GitError, runGit } from '../../src/workspace/git.ts';
import { remoteFromUrl } from '../../src/workspace/git-auth.ts';
import { listRemoteBranches } from '../../src/workspace/remote.ts';
import { Workspaces } from '../../src/workspace/workspaces.ts';
import { createRemote, git, makeTempDir, type Remote } from './helpers.ts';

const SECRET = 'tok-SECRET-4242';
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let server: Server;
let base: string;
const seenAuth: string[] = [];

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  await git(remote.url, 'update-server-info');
  // "Dumb" HTTP that insists on Basic credentials, as a private Git host would.
  const expected = `Basic ${Buffer.from(`bob:${SECRET}`).toString('base64')}`;
  server = createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
    const path = join(tmp.path, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(path).then(
      (body) => res.end(body),
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await tmp.cleanup();
});

test('userinfo moves from the URL into the environment', () => {
  const r = remoteFromUrl(`https://bob:${SECRET}@git.example/x.git`);
  assert.equal(r.url, 'https://git.example/x.git');
  assert.equal(r.env.STINT_GIT_PASSWORD, SECRET);
  assert.equal(r.env.STINT_GIT_USERNAME, 'bob');
  assert.deepEqual(remoteFromUrl('/srv/git/x.git'), { url: '/srv/git/x.git', env: {} });
});

test('git authenticates with the credentials from the environment; the URL it runs with has none', async () => {
  const r = remoteFromUrl(`${base.replace('://', `://bob:${SECRET}@`)}/remote.git`);
  assert.ok(!r.url.includes(SECRET));
  const branches = await listRemoteBranches(r.url, { env: r.env });
  assert.deepEqual(branches.branches, ['feature', 'main']);
  assert.ok(seenAuth.some((a) => a.startsWith('Basic ')));
});

test('a checkout made through an authenticated mirror holds the secret nowhere', async () => {
  const r = remoteFromUrl(`${base.replace('://', `://bob:${SECRET}@`)}/remote.git`);
  const ws = new Workspaces({ dir: join(tmp.path, 'ws'), poolSize: 0, poolIdleMs: 0, maxPooledCheckouts: 0 });
  try {
    const { baseCommitId } = await ws.prepare({
      sessionId: 'cred',
      source: { identity: { tenantId: 't', sourceId: 'git/a/b', url: r.url }, remote: r, branch: 'main' },
    });
    assert.equal(baseCommitId, remote.mainCommit);
    for (const root of [ws.dirOf('cred'), ws.mirrors.root]) {
      const files = await readdir(root, { recursive: true, withFileTypes: true });
      for (const f of files.filter((e) => e.isFile())) {
        const content = await readFile(join(f.parentPath, f.name), 'latin1');
        assert.ok(!content.includes(SECRET), `secret found in ${join(f.parentPath, f.name)}`);
      }
    }
  } finally {
    await ws.close();
  }
});

test('wrong credentials fail with a message that does not carry them', async () => {
  const r = remoteFromUrl(`${base.replace('://', '://bob:wrong-PASSWORD-77@')}/remote.git`);
  const err = await runGit(['ls-remote', '--', r.url], { env: r.env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof GitError);
  assert.ok(!err.message.includes('wrong-PASSWORD-77'));
  assert.ok(!err.stderr.includes('wrong-PASSWORD-77'));
});
