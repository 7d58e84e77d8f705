// Runs each command inside bubblewrap: the checkout is the only writable host path, the system is
// read-only, everything else on the host is invisible, /tmp is private, there is no network unless
// the request allows it, and the command has no capabilities. Killing bwrap's process group ends
// the sandbox's pid namespace, which takes every process inside with it.
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { preflight, runProcess } from '../process-run.ts';
import type { RunRequest, RunResult, Sandbox } from '../sandbox.ts';
import { buildSandboxEnv, DEFAULT_PATH } from '../sandbox-env.ts';
import { type BwrapFeatures, bwrapArgs, DEFAULT_READ_ONLY_PATHS } from './bwrap-args.ts';

export interface BubblewrapSandboxOptions {
  /** The bwrap executable (as found by probeBubblewrap). */
  bwrapPath: string;
  /** What this bwrap supports (as found by probeBubblewrap). */
  features: BwrapFeatures;
  /** Host paths shown read-only; default DEFAULT_READ_ONLY_PATHS. */
  readOnlyPaths?: readonly string[];
  /** Extra read-only host paths (e.g. a toolchain under /srv), added to the defaults. */
  extraReadOnlyPaths?: readonly string[];
  /** Size of the private /tmp; default 512 MiB; 0 for the tmpfs default. */
  tmpBytes?: number;
  /** Largest file a command may write (RLIMIT_FSIZE); 0 for no limit. */
  maxFileBytes?: number;
  /** PATH inside the sandbox. */
  path?: string;
  /** Delay between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number;
}

const HOME = '/tmp/home';

export class BubblewrapSandbox implements Sandbox {
  readonly kind = 'bubblewrap';
  readonly #opts: BubblewrapSandboxOptions;
  readonly #readOnly: readonly string[];
  readonly #wrapper: string;

  constructor(opts: BubblewrapSandboxOptions) {
    this.#opts = opts;
    this.#readOnly = [...(opts.readOnlyPaths ?? DEFAULT_READ_ONLY_PATHS), ...(opts.extraReadOnlyPaths ?? [])];
    const blocks = Math.ceil((opts.maxFileBytes ?? 0) / 512);
    // As in the plain sandbox: stderr joins stdout, then the agent's command line ("$1") runs.
    this.#wrapper = `${blocks > 0 ? `ulimit -f ${blocks}; ` : ''}exec 2>&1; exec /bin/sh -c "$1"`;
  }

  async run(req: RunRequest): Promise<RunResult> {
    const early = await preflight(req);
    if (early) return early;
    const cwd = await realpath(req.cwd);
    const root = req.root === undefined ? cwd : await realpath(req.root);
    if (root === '/') throw new Error('Sandbox root must not be /');
    const rel = relative(root, cwd);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`Sandbox working directory ${req.cwd} is outside its root ${req.root}`);
    }
    const args = bwrapArgs({
      root,
      cwd,
      network: req.network ?? false,
      readOnlyPaths: this.#readOnly,
      home: HOME,
      tmpBytes: this.#opts.tmpBytes ?? 512 * 1024 * 1024,
      features: this.#opts.features,
    });
    const env = buildSandboxEnv({ cwd, path: this.#opts.path ?? DEFAULT_PATH, extra: req.env });
    env['HOME'] = req.env?.['HOME'] ?? HOME;
    return runProcess({
      file: this.#opts.bwrapPath,
      args: [...args, '--', '/bin/sh', '-c', this.#wrapper, 'sh', req.command],
      cwd,
      env,
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      signal: req.signal,
      onOutput: req.onOutput,
      graceMs: this.#opts.killGraceMs ?? 2000,
      describe: `${this.#opts.bwrapPath} in ${req.cwd}`,
    });
  }
}
