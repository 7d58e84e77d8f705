// Runs each command inside bubblewrap: the checkout is the only writable host path, the system is
// read-only, everything else on the host is invisible, /tmp is private, there is no network unless
// the request allows it (all of it, or only the allowlist proxy), and the command has no capabilities. Killing bwrap's process group ends
// the sandbox's pid namespace, which takes every process inside with it.
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { runSandboxProcess } from '../helper-run.ts';
import {
  FORWARDER_SOURCE,
  proxyEnv,
  SANDBOX_NODE,
  SANDBOX_PROXY_PORT,
  SANDBOX_PROXY_SOCKET,
} from '../network/forwarder.ts';
import { DEFAULT_NETWORK, type SandboxNetworkOptions, withAllowlistProxy } from '../network/with-proxy.ts';
import { preflight } from '../process-run.ts';
import type { RunRequest, RunResult, Sandbox } from '../sandbox.ts';
import { buildSandboxEnv, DEFAULT_PATH } from '../sandbox-env.ts';
import { type BwrapFeatures, bwrapArgs, copiedFiles, DEFAULT_READ_ONLY_PATHS } from './bwrap-args.ts';

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
  /** The allowlist proxy's address filter and the forwarder's node binary. */
  network?: SandboxNetworkOptions;
}

const HOME = '/tmp/home';

export class BubblewrapSandbox implements Sandbox {
  readonly kind = 'bubblewrap';
  readonly #opts: BubblewrapSandboxOptions;
  readonly #readOnly: readonly string[];
  /** Of #readOnly, the small files copied into each sandbox rather than bound (bwrap-args.ts). */
  readonly #copied: readonly string[];
  readonly #wrapper: string;

  constructor(opts: BubblewrapSandboxOptions) {
    this.#opts = opts;
    this.#readOnly = [...(opts.readOnlyPaths ?? DEFAULT_READ_ONLY_PATHS), ...(opts.extraReadOnlyPaths ?? [])];
    this.#copied = copiedFiles(this.#readOnly);
    const blocks = Math.ceil((opts.maxFileBytes ?? 0) / 512);
    // As in the plain sandbox: stderr joins stdout, then the agent's command line ("$1") runs.
    this.#wrapper = `${blocks > 0 ? `ulimit -f ${blocks}; ` : ''}exec 2>&1; exec /bin/sh -c "$1"`;
  }

  async run(req: RunRequest): Promise<RunResult> {
    const early = await preflight(req);
    if (early) return early;
    const cwd = await realpath(req.cwd);
    // The session guard passes its checkout as both: one path to resolve, not two.
    const root = req.root === undefined || req.root === req.cwd ? cwd : await realpath(req.root);
    if (root === '/') throw new Error('Sandbox root must not be /');
    const rel = relative(root, cwd);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`Sandbox working directory ${req.cwd} is outside its root ${req.root}`);
    }
    const layout = {
      root,
      cwd,
      network: req.network === true,
      readOnlyPaths: this.#readOnly,
      copiedFiles: this.#copied,
      home: HOME,
      tmpBytes: this.#opts.tmpBytes ?? 512 * 1024 * 1024,
      features: this.#opts.features,
    };
    const env = buildSandboxEnv({ cwd, path: this.#opts.path ?? DEFAULT_PATH, extra: req.env });
    env['HOME'] = req.env?.['HOME'] ?? HOME;
    const command = ['/bin/sh', '-c', this.#wrapper, 'sh', req.command];
    const rule = req.network;
    if (typeof rule !== 'object') return this.#spawn(req, cwd, bwrapArgs(layout), command, env);
    // Own network namespace; the only way out is the forwarder to the proxy's socket (forwarder.ts).
    const opts = this.#opts.network ?? DEFAULT_NETWORK;
    const node = await realpath(opts.nodePath ?? process.execPath);
    return withAllowlistProxy(rule, opts, true, (proxy) => {
      const args = bwrapArgs({ ...layout, proxy: { socket: proxy.address, node } });
      const { NODE_OPTIONS, ...rest } = env;
      const netEnv = {
        ...rest,
        ...(NODE_OPTIONS !== undefined ? { STINT_NODE_OPTIONS: NODE_OPTIONS } : {}),
        ...proxyEnv(`http://127.0.0.1:${SANDBOX_PROXY_PORT}`),
      };
      const forward = [
        SANDBOX_NODE,
        '-e',
        FORWARDER_SOURCE,
        SANDBOX_PROXY_SOCKET,
        String(SANDBOX_PROXY_PORT),
      ];
      return this.#spawn(req, cwd, args, [...forward, ...command], netEnv);
    });
  }

  #spawn(
    req: RunRequest,
    cwd: string,
    args: string[],
    command: string[],
    env: Record<string, string>,
  ): Promise<RunResult> {
    return runSandboxProcess({
      file: this.#opts.bwrapPath,
      args: [...args, '--', ...command],
      cwd,
      env,
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      signal: req.signal,
      onOutput: req.onOutput,
      graceMs: this.#opts.killGraceMs ?? 2000,
      describe: `${this.#opts.bwrapPath} in ${req.cwd}`,
      // --unshare-all takes a PID namespace: what the command left running dies with it.
      contained: true,
      fdFiles: this.#copied,
    });
  }
}
