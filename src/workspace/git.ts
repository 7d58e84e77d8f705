// Runs git as a child process (argument array, never a shell), isolated from the user's and the
// system's git configuration so that its behaviour and output format are deterministic.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { GitError, type GitErrorInit } from './git-error.ts';
import { runOnGitHelper } from './git-helpers.ts';

export { GitError } from './git-error.ts';
export { redactUrl } from './redact.ts';

export interface GitOptions {
  cwd?: string;
  /** Extra environment (e.g. GIT_INDEX_FILE); cannot override the isolation variables. */
  env?: Record<string, string>;
  input?: string | Buffer;
  /** Kills git (and its children) after this long; default 120 s. */
  timeoutMs?: number;
  /** Maximum stdout size in bytes; default 64 MiB. Exceeding it kills git and throws. */
  maxBuffer?: number;
  /** Background work (e.g. the warm pool): run git at a low CPU priority. */
  background?: boolean;
}

export const DEFAULT_GIT_TIMEOUT_MS = 120_000;
export const DEFAULT_GIT_MAX_BUFFER = 64 * 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;
const BACKGROUND_PRIORITY = 15;

/** Passed before every subcommand. */
export const GIT_CONFIG_ARGS: readonly string[] = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'protocol.file.allow=always',
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'init.defaultBranch=main',
  '-c',
  'user.name=Stint',
  '-c',
  'user.email=stint@localhost',
  '-c',
  'commit.gpgsign=false',
];

const ISOLATION_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ATTR_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

// Inherited GIT_* variables that only tune transports (TLS CA bundle, proxies, ssh) are kept;
// all others (GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF, …) are dropped.
const KEPT_GIT_VARS = /^GIT_(SSL_|HTTP_|PROXY_|SSH$|SSH_COMMAND$|SSH_VARIANT$|EXEC_PATH$)/;

/** The environment git runs with: the server's, minus repository/config-altering GIT_* vars. */
export function gitEnv(extra?: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith('GIT_') && !KEPT_GIT_VARS.test(key)) continue;
    env[key] = value;
  }
  // Never wait for a password or a host-key confirmation.
  if (env['GIT_SSH'] === undefined && env['GIT_SSH_COMMAND'] === undefined) {
    env['GIT_SSH_COMMAND'] = 'ssh -o BatchMode=yes';
  }
  return { ...env, ...extra, ...ISOLATION_ENV };
}

/** How one git run ended: its output, or what its GitError says. Plain data (it crosses threads). */
export type GitOutcome =
  | { ok: true; stdout: Buffer; stderr: string }
  /** `partialStdout`: what a process that exited non-zero printed (find lists what it could read). */
  | { ok: false; error: GitErrorInit; partialStdout?: Buffer };

/** One process to run and collect: `program ...lead ...args`, with exactly `env`. Plain data. */
export interface SpawnJob {
  program: string;
  /** Arguments before `args`, left out of errors (git's -c isolation options). */
  lead?: readonly string[];
  args: readonly string[];
  opts: Omit<GitOptions, 'env'>;
  env: Record<string, string>;
}

/**
 * Spawns the job's process from the calling thread and collects its output (a failure is a
 * GitErrorInit). The server calls it through runGitRaw and runCollected, which run it on a git
 * thread (src/workspace/git-helpers.ts).
 */
export function spawnCollect(job: SpawnJob): Promise<GitOutcome> {
  const { args, opts } = job;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const maxBuffer = opts.maxBuffer ?? DEFAULT_GIT_MAX_BUFFER;
  return new Promise((resolve) => {
    const child = spawn(job.program, [...(job.lead ?? []), ...args], {
      cwd: opts.cwd,
      env: job.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so that a timeout also kills git's helpers (remote-https, index-pack…).
      detached: true,
    });
    if (opts.background && child.pid !== undefined) {
      try {
        setPriority(child.pid, BACKGROUND_PRIORITY);
      } catch {
        // not permitted here: run at normal priority
      }
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = Buffer.alloc(0);
    let failure: { reason: 'timeout' | 'max-buffer'; detail: string } | undefined;

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure = { reason: 'timeout', detail: `after ${timeoutMs} ms` };
      killGroup();
    }, timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      outBytes += chunk.length;
      if (outBytes > maxBuffer) {
        failure = { reason: 'max-buffer', detail: `stdout exceeded ${maxBuffer} bytes` };
        killGroup();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = Buffer.concat([err, chunk]);
      if (err.length > MAX_STDERR_BYTES) err = err.subarray(err.length - MAX_STDERR_BYTES);
    });
    child.stdin.on('error', () => {
      // git may exit before reading all its input; the exit status tells what happened.
    });
    child.stdin.end(opts.input);

    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: { args, exitCode: null, stderr: '', reason: 'spawn', detail: e.message } });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = err.toString('utf8');
      if (failure) {
        resolve({ ok: false, error: { args, exitCode: null, stderr, ...failure } });
      } else if (code !== 0) {
        const reason = code === null ? 'signal' : undefined;
        resolve({
          ok: false,
          error: { args, exitCode: code, stderr, reason, detail: signal ?? undefined },
          partialStdout: Buffer.concat(out),
        });
      } else {
        resolve({ ok: true, stdout: Buffer.concat(out), stderr });
      }
    });
  });
}

/** Runs `git <args>` and returns its stdout as bytes. Throws GitError unless git exits 0. */
export async function runGitRaw(
  args: readonly string[],
  opts: GitOptions = {},
): Promise<{ stdout: Buffer; stderr: string }> {
  const { env, ...rest } = opts;
  const outcome = await runOnGitHelper({
    program: 'git',
    lead: GIT_CONFIG_ARGS,
    args,
    opts: rest,
    env: gitEnv(env),
  });
  if (!outcome.ok) throw new GitError(outcome.error);
  return { stdout: outcome.stdout, stderr: outcome.stderr };
}

/** Runs `git <args>` and returns its output as UTF-8 text. Throws GitError unless git exits 0. */
export async function runGit(
  args: readonly string[],
  opts: GitOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await runGitRaw(args, opts);
  return { stdout: stdout.toString('utf8'), stderr };
}
