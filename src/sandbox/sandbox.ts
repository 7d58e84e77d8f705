// The contract every sandbox implementation (plain process, bubblewrap, …) fulfils.

export interface RunRequest {
  /** A shell command line chosen by the agent, run with `/bin/sh -c`. */
  command: string;
  /** Working directory (the session's checkout). */
  cwd: string;
  /** Extra environment variables; the server's own environment is never passed on. */
  env?: Record<string, string>;
  /** Wall-clock limit; the whole process tree is killed when it expires. */
  timeoutMs: number;
  /** Bytes of output kept; the rest is counted and dropped. */
  maxOutputBytes: number;
  /** Aborting kills the whole process tree. */
  signal?: AbortSignal;
  /**
   * The session's checkout: the only place an isolating sandbox lets the command write (default:
   * cwd, which must lie inside it).
   */
  root?: string;
  /**
   * The command's network (default: none). `true`: the host's network. `{ allow }`: only through the
   * server's allowlist proxy, to hosts matching these patterns (see network/host-patterns.ts); the
   * bubblewrap sandbox enforces it (its own network namespace), the plain one can only point the
   * proxy variables at it.
   */
  network?: boolean | NetworkAllowlist;
  /** Called with each piece of output as it arrives (stdout and stderr interleaved, not truncated). */
  onOutput?: (chunk: Buffer) => void;
}

export interface RunResult {
  /** The shell's exit code; 124 on timeout, 130 on abort, 128+n when killed by signal n. */
  exitCode: number;
  /**
   * stdout and stderr interleaved in arrival order, truncated to maxOutputBytes with a trailing
   * '\n[output truncated: N bytes omitted]'.
   */
  output: string;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Connections the allowlist proxy refused during the command, one per host (with `network.allow`). */
  blocked?: BlockedConnection[];
}

export interface NetworkAllowlist {
  /** Host patterns: `registry.npmjs.org`, `*.pypi.org`, an IP literal. */
  allow: readonly string[];
}

export interface BlockedConnection {
  /** The host the command asked for (normalized: lower case, no trailing dot). */
  host: string;
  port: number;
  /** not-allowed: no pattern matches; address: it is or resolves to a refused address; invalid: not a host. */
  cause: 'not-allowed' | 'address' | 'invalid';
  /** Why, in words. */
  reason: string;
}

export interface Sandbox {
  readonly kind: string;
  /** Resolves with the outcome of the command, whatever it is; rejects only if it cannot start. */
  run(req: RunRequest): Promise<RunResult>;
}

export const EXIT_TIMEOUT = 124;
export const EXIT_ABORTED = 130;
