// Runs commands as plain processes (started by a git helper process: ../helper-run.ts), each in its
// own process group, with a minimal environment. No filesystem or network isolation: for trusted
// set-ups and development.
// A network allowlist cannot be enforced here: the command gets the proxy variables pointing at an
// allowlist proxy on the loopback (so tools that honour them are filtered and blocked hosts are
// reported), but anything that connects directly still reaches the whole network.

import { runSandboxProcess } from '../helper-run.ts';
import { proxyEnv } from '../network/forwarder.ts';
import { DEFAULT_NETWORK, type SandboxNetworkOptions, withAllowlistProxy } from '../network/with-proxy.ts';
import { preflight } from '../process-run.ts';
import type { RunRequest, RunResult, Sandbox } from '../sandbox.ts';
import { buildSandboxEnv, DEFAULT_PATH } from '../sandbox-env.ts';

export interface PlainSandboxOptions {
  /** PATH for commands; default: the server's PATH. */
  path?: string;
  /** Delay between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number;
  /** The allowlist proxy's address filter (advisory here: see above). */
  network?: SandboxNetworkOptions;
}

// The outer shell sends stderr into stdout's pipe, so both arrive interleaved in their true order,
// then replaces itself with the shell that runs the agent's command line ("$1").
export const WRAPPER = 'exec 2>&1; exec /bin/sh -c "$1"';

export class PlainSandbox implements Sandbox {
  readonly kind = 'plain';
  readonly #path: string;
  readonly #graceMs: number;
  readonly #network: SandboxNetworkOptions;

  constructor(opts: PlainSandboxOptions = {}) {
    this.#path = opts.path ?? process.env['PATH'] ?? DEFAULT_PATH;
    this.#graceMs = opts.killGraceMs ?? 2000;
    this.#network = opts.network ?? DEFAULT_NETWORK;
  }

  async run(req: RunRequest): Promise<RunResult> {
    const early = await preflight(req);
    if (early) return early;
    const env = buildSandboxEnv({ cwd: req.cwd, path: this.#path, extra: req.env });
    const rule = req.network;
    if (typeof rule !== 'object') return this.#spawn(req, env);
    return withAllowlistProxy(rule, this.#network, false, (proxy) =>
      this.#spawn(req, { ...env, ...proxyEnv(proxy.address) }),
    );
  }

  #spawn(req: RunRequest, env: Record<string, string>): Promise<RunResult> {
    return runSandboxProcess({
      file: '/bin/sh',
      args: ['-c', WRAPPER, 'sh', req.command],
      cwd: req.cwd,
      env,
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      signal: req.signal,
      onOutput: req.onOutput,
      graceMs: this.#graceMs,
      describe: `/bin/sh in ${req.cwd}`,
    });
  }
}
