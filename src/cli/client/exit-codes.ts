/** Exit codes of the client commands (documented in docs/cli.md) and the error that carries one. */

export const EXIT = Object.freeze({
  /** Done; for watch and --wait: the session COMPLETED. */
  OK: 0,
  /** The session FAILED (watch, --wait), or an unexpected error. */
  FAILED: 1,
  /** Bad arguments or configuration: unknown option, no API key, invalid --server. */
  USAGE: 2,
  /** The session waits for you: plan approval, your reply, or paused. */
  WAITING: 3,
  /** The server refused the request (a 4xx with its Google-style status and message). */
  API: 4,
  /** The server could not be reached, timed out or kept failing (5xx). */
  UNREACHABLE: 5,
  /** pull: not a git checkout, dirty tree, nothing to apply, or the patch does not apply. */
  GIT: 6,
  /** Interrupted with Ctrl-C. */
  INTERRUPTED: 130,
});

/** An error the CLI reports as one line `stint: message` (plus an optional hint) and an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(exitCode: number, message: string, hint?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export const usageError = (message: string, hint?: string) => new CliError(EXIT.USAGE, message, hint);
