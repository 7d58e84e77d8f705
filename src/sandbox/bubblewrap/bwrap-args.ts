// The bwrap command line for one command: a fresh root with the system read-only, the checkout
// writable except its git directory, private /tmp, /proc and /dev, and new user, pid, ipc, uts,
// cgroup and (unless allowed) network namespaces.
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SANDBOX_NODE, SANDBOX_PROXY_SOCKET } from '../network/forwarder.ts';

/**
 * Host paths shown read-only inside the sandbox: what programs need to run (binaries, libraries,
 * certificates, name resolution), and nothing that holds users' or the server's data. /home, /root,
 * /var, /srv, /mnt, /work, /tmp and the server's data directory stay invisible.
 */
export const DEFAULT_READ_ONLY_PATHS: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/ssl/certs',
  '/etc/pki/tls/certs',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/resolv.conf',
  '/etc/services',
  '/etc/protocols',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/mime.types',
  '/etc/os-release',
  '/etc/debian_version',
  '/etc/profile',
  '/etc/bash.bashrc',
  '/etc/inputrc',
  '/etc/java-17-openjdk',
  '/etc/python3',
];

/** What this machine's bwrap supports (found by probing it once). */
export interface BwrapFeatures {
  /** A new user namespace can be created (so the command has no capabilities on the host). */
  userns: boolean;
  /** `--disable-userns`: the command cannot create nested user namespaces. */
  disableUserns: boolean;
  /** `--size` for the private /tmp. */
  tmpfsSize: boolean;
}

export interface BwrapLayout {
  /** The writable checkout (a real path, not `/`). */
  root: string;
  /** Working directory, inside root (a real path). */
  cwd: string;
  network: boolean;
  /**
   * Network through the allowlist proxy only (with `network: false`): its Unix socket and the node
   * binary that runs the in-sandbox forwarder, shown read-only under /run/stint-net.
   */
  proxy?: { socket: string; node: string };
  readOnlyPaths: readonly string[];
  /**
   * Read-only paths that are small regular files, given to bwrap as open files on descriptors 3,
   * 4, … in this order and copied into the sandbox's own root (mode 0444) instead of bind-mounted
   * (see copiedFiles). The spawner opens them (src/sandbox/process-run.ts: `fdFiles`).
   */
  copiedFiles?: readonly string[];
  /** HOME inside the sandbox (on the private /tmp). */
  home: string;
  /** Size of the private /tmp in bytes; 0 for the tmpfs default (half the RAM). */
  tmpBytes: number;
  features: BwrapFeatures;
}

/** The descriptor of the first of BwrapLayout.copiedFiles (0–2 are the command's stdio). */
const FIRST_COPIED_FD = 3;
/** Larger read-only files are bind-mounted whatever they are. */
const MAX_COPIED_BYTES = 256 * 1024;

/**
 * The read-only paths to copy into each sandbox rather than bind: regular files (after symlinks) of
 * at most 256 KiB, as they are now, unless another path of the list holds them (bwrap could not
 * create a file inside that read-only mount). Each bind mount costs bwrap a mount, a remount and a
 * new read of /proc/self/mountinfo, which grows with every mount: ~20 files of /etc took ~3–5 ms
 * of a sandbox's ~19 ms of CPU here (bench/notes.md, Round 12). A copy is the file as it is when
 * the command starts, in the sandbox's own root: a command that changes its copy changes nothing
 * outside.
 */
export function copiedFiles(paths: readonly string[]): string[] {
  return paths.filter((path) => {
    if (dirname(path) === '/' || paths.some((other) => other !== path && isBelow(path, other))) return false;
    try {
      const st = statSync(path);
      return st.isFile() && st.size <= MAX_COPIED_BYTES;
    } catch {
      return false;
    }
  });
}

/** Whether `path` lies inside the directory `dir` (not `dir` itself). */
function isBelow(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** Mounted as private tmpfs in every sandbox. */
const PRIVATE_MOUNTS = ['/tmp', '/var/tmp', '/run'];

/** bwrap's options up to (not including) `--` and the command. */
export function bwrapArgs(layout: BwrapLayout): string[] {
  const args: string[] = [];
  const f = layout.features;
  if (f.userns) args.push('--unshare-user');
  args.push('--unshare-all');
  if (layout.network) args.push('--share-net');
  if (f.userns && f.disableUserns) args.push('--disable-userns');
  args.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'stint-sandbox');

  // Paths under the private tmpfs mounts are bound after them, or the tmpfs would hide them.
  const underTmpfs = (p: string) => PRIVATE_MOUNTS.some((m) => p === m || isBelow(p, m));
  const copied = layout.copiedFiles ?? [];
  const readOnly = (paths: readonly string[]) => {
    for (const path of paths) {
      const link = topLevelSymlink(path);
      const fd = copied.indexOf(path);
      if (link !== undefined) args.push('--symlink', link, path);
      else if (fd >= 0) args.push('--perms', '0444', '--file', String(FIRST_COPIED_FD + fd), path);
      else args.push('--ro-bind-try', path, path);
    }
  };
  readOnly(layout.readOnlyPaths.filter((p) => !underTmpfs(p)));
  args.push('--proc', '/proc', '--dev', '/dev');
  if (layout.tmpBytes > 0 && f.tmpfsSize) args.push('--size', String(layout.tmpBytes));
  args.push('--tmpfs', '/tmp');
  args.push('--tmpfs', '/var/tmp', '--tmpfs', '/run');
  args.push('--dir', layout.home);
  readOnly(layout.readOnlyPaths.filter(underTmpfs));
  if (layout.proxy && !layout.network) {
    args.push(
      '--ro-bind',
      layout.proxy.socket,
      SANDBOX_PROXY_SOCKET,
      '--ro-bind',
      layout.proxy.node,
      SANDBOX_NODE,
    );
  }
  args.push('--bind', layout.root, layout.root);
  // The checkout's git directory is the server's (its objects, refs, index and config are what the
  // server diffs and pushes from): commands may read it (`git log`, `git diff`) but not change it.
  // Mounted over the writable checkout, so it can be neither written, nor renamed, nor replaced.
  const gitDir = checkoutGitDir(layout.root);
  if (gitDir !== undefined) args.push('--ro-bind', gitDir, gitDir);
  args.push('--chdir', layout.cwd);
  return args;
}

/** `<root>/.git` when it is a real directory or a gitfile (never follow a symlink out of the root). */
export function checkoutGitDir(root: string): string | undefined {
  const path = join(root, '.git');
  try {
    const st = lstatSync(path);
    return st.isDirectory() || st.isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** `/bin -> usr/bin` style links at the top of the tree are recreated as links, not bind mounts. */
function topLevelSymlink(path: string): string | undefined {
  if (dirname(path) !== '/') return undefined;
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}
