import { redactSecrets } from './redact.ts';

const MAX_STDERR_IN_MESSAGE = 2000;
const MAX_ARGS_IN_MESSAGE = 500;

export interface GitErrorInit {
  args: readonly string[];
  exitCode: number | null;
  stderr: string;
  /** Why git did not finish normally, when it did not simply exit non-zero. */
  reason?: 'timeout' | 'max-buffer' | 'spawn' | 'signal';
  detail?: string;
}

/**
 * A git invocation that failed. `args`, `stderr` and `message` are redacted: URL userinfo
 * (`https://user:token@`) never appears in them.
 */
export class GitError extends Error {
  readonly args: readonly string[];
  /** Git's exit code; null when it was killed (timeout, output limit, signal) or never started. */
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly reason: GitErrorInit['reason'];

  constructor(init: GitErrorInit) {
    const args = init.args.map(redactSecrets);
    const stderr = redactSecrets(init.stderr);
    super(describe(args, init, stderr));
    this.name = 'GitError';
    this.args = args;
    this.exitCode = init.exitCode;
    this.stderr = stderr;
    this.reason = init.reason;
  }
}

function describe(args: readonly string[], init: GitErrorInit, stderr: string): string {
  let cmd = `git ${args.join(' ')}`;
  if (cmd.length > MAX_ARGS_IN_MESSAGE) cmd = `${cmd.slice(0, MAX_ARGS_IN_MESSAGE)}…`;
  let how: string;
  switch (init.reason) {
    case 'timeout':
      how = 'timed out';
      break;
    case 'max-buffer':
      how = 'produced too much output';
      break;
    case 'spawn':
      how = 'could not be started';
      break;
    case 'signal':
      how = 'was killed';
      break;
    default:
      how = `failed with exit code ${init.exitCode}`;
  }
  const detail = init.detail ? ` (${redactSecrets(init.detail)})` : '';
  let tail = stderr.trim();
  if (tail.length > MAX_STDERR_IN_MESSAGE) tail = `…${tail.slice(-MAX_STDERR_IN_MESSAGE)}`;
  return `${cmd} ${how}${detail}${tail ? `: ${tail}` : ''}`;
}
