// Finds bwrap and checks, by running it, that it can build a sandbox on this machine (user
// namespaces may be disabled by the kernel, by AppArmor, or inside an unprivileged container).
import { execFile } from 'node:child_process';
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { removeTree } from '../../workspace/remove-tree.ts';
import { type BwrapFeatures, bwrapArgs, DEFAULT_READ_ONLY_PATHS } from './bwrap-args.ts';

export type BwrapProbe =
  | { ok: true; path: string; version: string; features: BwrapFeatures }
  | { ok: false; reason: string };

// Most isolating first; the first that works wins.
const CANDIDATES: readonly BwrapFeatures[] = [
  { userns: true, disableUserns: true, tmpfsSize: true },
  { userns: true, disableUserns: false, tmpfsSize: true },
  { userns: true, disableUserns: false, tmpfsSize: false },
  { userns: false, disableUserns: false, tmpfsSize: false },
];

/** Looks for an executable `bwrap` on PATH (or at `explicit`). */
export async function findBwrap(
  explicit?: string,
  path = process.env['PATH'] ?? '',
): Promise<string | undefined> {
  const candidates = explicit
    ? [explicit]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, 'bwrap'));
  for (const c of candidates) {
    if ((await run(c, ['--version'])).code === 0) return c;
  }
  return undefined;
}

export async function probeBubblewrap(explicit?: string): Promise<BwrapProbe> {
  const path = await findBwrap(explicit);
  if (!path) {
    return {
      ok: false,
      reason: explicit
        ? `${explicit} is not an executable bwrap`
        : 'bubblewrap (bwrap) is not installed; install it with `apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`',
    };
  }
  const version = (await run(path, ['--version'])).out.trim();
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'stint-bwrap-probe-')));
  let firstError = '';
  try {
    for (const features of CANDIDATES) {
      const args = bwrapArgs({
        root: dir,
        cwd: dir,
        network: false,
        readOnlyPaths: DEFAULT_READ_ONLY_PATHS,
        home: '/tmp/home',
        tmpBytes: 1024 * 1024,
        features,
      });
      const r = await run(path, [...args, '--', '/bin/sh', '-c', 'echo ok > probe && cat probe']);
      if (r.code === 0 && r.out.trim() === 'ok') return { ok: true, path, version, features };
      firstError ||= r.out.trim() || `exit code ${r.code}`;
    }
  } finally {
    await removeTree(dir);
  }
  return {
    ok: false,
    reason: `${path} (${version}) cannot create a sandbox here: ${firstError}. Unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces, or an AppArmor restriction such as kernel.apparmor_restrict_unprivileged_userns on Ubuntu 24.04).`,
  };
}

function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000, env: { PATH: '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}
