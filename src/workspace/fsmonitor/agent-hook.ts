// `git status` in the sandbox without a walk of the tree: the agent's .git is set up with a
// core.fsmonitor hook (git's protocol, version 2) that asks the change watcher
// (src/workspace/watch/) which paths changed since the reset, and an index whose fsmonitor extension
// marks every entry clean as of that reset (index-extension.ts). Git then stats only the paths
// named; on 50,000 files that is most of a status's cost (~0.2 s of CPU here).
//
// The hook's answer is never narrower than the truth, or git is told to look at everything:
// - the token is made at the reset and only ever answered with itself, so the answer is always
//   "everything that changed since the reset": never less than what changed since any index the
//   agent wrote later (with the plain sandbox its .git is writable);
// - the watcher answers only for a checkout it has watched, known, since it was seeded from the
//   change feed (which names every change since the base, src/workspace/change-feed.ts); an unknown
//   journal, a feed that is not known, another token, or a watcher that is gone: the hook fails
//   (exit 1), and git treats every entry as possibly changed, as without a hook;
// - it is a barrier like the watcher's own: every event queued before the question is read first.
// The hook is Perl (perl-base is part of every Debian system, and git's own fsmonitor hook sample is
// Perl): ~10 ms a call, against a shell's ~2 ms that could not open a socket.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { COMMIT_ID, hashBytes, objectFormatOf } from '../../domain/commit-id.ts';
import type { ServerGitRun } from '../server-git.ts';
import { lstat, readFile, rename, rm, stat, writeFile } from '../small-fs.ts';
import { fsmonitorExtension, rewriteExtensions } from './index-extension.ts';
import { appendPrehashed } from './index-prehash.ts';
import { untrackedExtensionFor } from './untracked-cache.ts';

/** The hook and its socket, in the agent's .git (the hook runs in the work tree's top directory). */
export const HOOK_FILE = 'stint-fsmonitor';
export const SOCKET_FILE = 'stint-fsmonitor.sock';
/** In the server git dir: the token of the agent's index and the base it was written at. */
const TOKEN_FILE = 'stint-agent-fsmonitor';
const PERL = '/usr/bin/perl';

let perl: boolean | undefined;

/** Whether the hook can run here (and in a sandbox, which shows /usr). */
export function fsmonitorHookUsable(): boolean {
  perl ??= existsSync(PERL);
  return perl;
}

/**
 * The agent config's [core] lines that turn the hook on, with the untracked cache (untracked-cache.ts;
 * `true` also replaces, without a warning, a cache made for another location).
 */
export const HOOK_CONFIG = [
  `\tfsmonitor = .git/${HOOK_FILE}`,
  '\tfsmonitorHookVersion = 2',
  '\tuntrackedCache = true',
];

export interface AgentFsmonitor {
  token: string;
  base: string;
}

/** Puts the hook in the agent's .git (its config names it: HOOK_CONFIG). */
export async function installAgentHook(agentGitDir: string): Promise<void> {
  await writeFile(join(agentGitDir, HOOK_FILE), HOOK_SCRIPT, { mode: 0o755 });
}

/** Forgets the token of the previous agent index (a reset writes a plain index). */
export async function forgetAgentFsmonitor(serverGitDir: string): Promise<void> {
  await rm(join(serverGitDir, TOKEN_FILE), { force: true });
}

/**
 * Arms the agent's index of the checkout at `workTree` (clean at `base`, just handed to a session)
 * when its .git has the hook: the fsmonitor extension with a fresh token (every entry clean as of
 * now) and the untracked cache of a clean checkout of `base` when there is one, written in one pass
 * with the index's time kept; then the token's record in `serverGitDir`. False: not armed (no hook,
 * or an index this cannot read): git then looks at every file, as without the hook.
 */
export async function armAgentIndex(
  serverGitDir: string,
  workTree: string,
  base: string,
  run: ServerGitRun,
): Promise<boolean> {
  if (!COMMIT_ID.test(base)) throw new Error(`invalid commit id ${base}`);
  const agentGitDir = join(workTree, '.git');
  if (
    !(await lstat(join(agentGitDir, HOOK_FILE)).then(
      (st) => st.isFile(),
      () => false,
    ))
  )
    return false;
  const untracked = await untrackedExtensionFor(serverGitDir, workTree, base, run);
  const token = `stint:${randomBytes(12).toString('hex')}`;
  const hash = objectFormatOf(base);
  const extensions = [fsmonitorExtension(token), ...(untracked ? [untracked] : [])];
  const index = join(agentGitDir, 'index');
  if (!(await appendPrehashed(index, extensions, hash)) && !(await rewriteIndex(index, extensions, hash)))
    return false;
  const file = join(serverGitDir, TOKEN_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify({ token, base } satisfies AgentFsmonitor)}\n`);
  await rename(`${file}.tmp`, file);
  return true;
}

// Read buffers kept between resets: a fresh 4 MB buffer (a 50,000-file index) costs more in page
// faults than the copy, the hash and the parse together (~12 ms here against ~6). At most two are
// kept (more resets at once allocate and drop theirs): one per reset at once would keep a burst's
// worth (200 sessions starting together: ~40 MB on 5,000 files).
const scratch: Buffer[] = [];
const MAX_SCRATCH = 2;

// The index is read once to find where its entries end and to hash, and rewritten beside itself:
// the usual case (only extensions added at its end) as a kernel copy with the trailing hash replaced
// by the new extensions and hash. Renamed over the index with its times kept (git compares entries'
// times with the index's, copyIndex in server-git.ts).
async function rewriteIndex(index: string, extensions: Buffer[], hash: 'sha1' | 'sha256') {
  const { size, atime, mtime } = await stat(index);
  let buf = scratch.pop();
  if (buf === undefined || buf.length < size) buf = Buffer.allocUnsafe(Math.max(size, 64 * 1024));
  const tmp = `${index}.stint-tmp`;
  try {
    const file = await open(index, 'r');
    let read = 0;
    try {
      while (read < size) {
        const { bytesRead } = await file.read(buf, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
    } finally {
      await file.close();
    }
    if (read !== size) return false;
    const old = buf.subarray(0, size);
    const plan = rewriteExtensions(old, hash, extensions);
    if (plan === undefined) return false;
    const hashLen = hashBytes(hash);
    const inPlace = plan.keep.length === 1 && plan.keep[0]![0] === 0 && plan.keep[0]![1] === size - hashLen;
    await rm(tmp, { force: true });
    if (inPlace) await copyFile(index, tmp);
    const out = await open(tmp, inPlace ? 'r+' : 'wx');
    try {
      if (inPlace) {
        await out.write(plan.tail, 0, plan.tail.length, size - hashLen);
        await out.truncate(size - hashLen + plan.tail.length);
      } else await out.writev([...plan.keep.map(([a, b]) => old.subarray(a, b)), plan.tail]);
      await out.utimes(atime, mtime);
    } finally {
      await out.close();
    }
    await rename(tmp, index);
    return true;
  } finally {
    if (scratch.length < MAX_SCRATCH) scratch.push(buf);
  }
}

/** The token of the agent's index and its base, or undefined. */
export async function readAgentFsmonitor(serverGitDir: string): Promise<AgentFsmonitor | undefined> {
  const text = await readFile(join(serverGitDir, TOKEN_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<AgentFsmonitor>;
    if (typeof v.token === 'string' && typeof v.base === 'string' && COMMIT_ID.test(v.base))
      return { token: v.token, base: v.base };
  } catch {
    // Torn or foreign: no hook answers.
  }
  return undefined;
}

// Git runs it as `<hook> 2 <token>` in the work tree's top directory and reads "<token>\0<path>\0…"
// from it; exit 1 means "not known". Socket constants are Linux's (AF_UNIX 1, SOCK_STREAM 1), so
// that it loads no module (Socket.pm doubles its start-up time). It gives up after 30 s.
const HOOK_SCRIPT = `#!${PERL}
# Stint's fsmonitor hook: asks the checkout's change watcher what changed since the reset.
exit 1 unless @ARGV == 2 && $ARGV[0] eq '2';
$SIG{ALRM} = sub { exit 1 };
alarm 30;
socket(my $s, 1, 1, 0) or exit 1;
connect($s, pack('S Z*', 1, '.git/${SOCKET_FILE}')) or exit 1;
syswrite($s, "$ARGV[1]\\n") or exit 1;
shutdown($s, 1);
my $reply = '';
while (1) {
  my $n = sysread($s, $reply, 65536, length $reply);
  exit 1 unless defined $n;
  last if $n == 0;
}
exit 1 if $reply eq '';
binmode STDOUT;
print $reply;
exit 0;
`;
