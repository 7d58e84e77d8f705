// The setup most workspace tests share: one temp dir with a bare remote (made before the file's
// tests, removed after), Workspaces made in it (closed after), and sources on that remote.
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Workspaces, type WorkspacesOptions } from '../../src/workspace/workspaces.ts';
import { createRemote, makeTempDir, type Remote } from './helpers.ts';

export interface WorkspacesFixture {
  /** The file's temp dir (set once its tests run). */
  readonly root: string;
  readonly remote: Remote;
  /** Workspaces in `<root>/<name>`: a pool of 1 unless `opts` says otherwise. */
  workspaces(name: string, opts?: Partial<WorkspacesOptions>): Workspaces;
  /** The test source on the remote (or on `url`), at `branch`. */
  source(
    branch?: string,
    url?: string,
  ): {
    identity: { tenantId: string; sourceId: string; url: string };
    remote: { url: string; env: Record<string, string> };
    branch: string;
  };
}

export function workspacesFixture(): WorkspacesFixture {
  let tmp: { path: string; cleanup(): Promise<void> } | undefined;
  let remote: Remote | undefined;
  const open: Workspaces[] = [];
  before(async () => {
    tmp = await makeTempDir();
    remote = await createRemote(tmp.path);
  });
  after(async () => {
    for (const w of open) await w.close();
    await tmp?.cleanup();
  });
  const fixture: WorkspacesFixture = {
    get root() {
      if (!tmp) throw new Error('the fixture is ready only inside tests');
      return tmp.path;
    },
    get remote() {
      if (!remote) throw new Error('the fixture is ready only inside tests');
      return remote;
    },
    workspaces(name, opts = {}) {
      const w = new Workspaces({
        dir: join(fixture.root, name),
        poolSize: 1,
        poolIdleMs: 3600_000,
        maxPooledCheckouts: 8,
        ...opts,
      });
      open.push(w);
      return w;
    },
    source(branch = 'main', url = fixture.remote.url) {
      return {
        identity: { tenantId: 'default', sourceId: 'github/acme/demo', url },
        remote: { url, env: {} },
        branch,
      };
    },
  };
  return fixture;
}
