// Runs commands as plain child processes of the server, each in its own process group, with a
// minimal environment. No filesystem or network isolation: for trusted set-ups and development.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { OutputBuffer } from '../output-buffer.ts';
import { exitCodeOf, signalGroup } from '../process-group.ts';
import { EXIT_ABORTED, EXIT_TIMEOUT, type RunRequest, type RunResult, type Sandbox } from '../sandbox.ts';
import { buildSandboxEnv, DEFAULT_PATH } from '../sandbox-env.ts';

export interface PlainSandboxOptions {
  /** PATH for commands; default: the server's PATH. */
  path?: string;
  /** Delay between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number;
}

// The outer shell sends stderr into stdout's pipe, so both arrive interleaved in their true order,
// then replaces itself with the shell that runs the agent's command line ("$1").
const WRAPPER = 'exec 2>&1; exec /bin/sh -c "$1"';

export class PlainSandbox implements Sandbox {
  readonly kind = 'plain';
  readonly #path: string;
  readonly #graceMs: number;

  constructor(opts: PlainSandboxOptions = {}) {
    this.#path = opts.path ?? process.env['PATH'] ?? DEFAULT_PATH;
    this.#graceMs = opts.killGraceMs ?? 2000;
  }

  async run(req: RunRequest): Promise<RunResult> {
    if (!(req.timeoutMs > 0)) throw new Error(`timeoutMs must be positive, got ${req.timeoutMs}`);
    if (!(req.maxOutputBytes >= 0)) throw new Error(`maxOutputBytes must be >= 0, got ${req.maxOutputBytes}`);
    const cwdStat = await stat(req.cwd).catch(() => undefined);
    if (!cwdStat?.isDirectory()) throw new Error(`Sandbox working directory does not exist: ${req.cwd}`);
    if (req.signal?.aborted) return result({ exitCode: EXIT_ABORTED, aborted: true }, 0);
    if (req.command.includes('\0')) {
      return result({ exitCode: 2, output: 'sandbox: the command contains a NUL byte\n' }, 0);
    }
    return this.#spawn(req);
  }

  #spawn(req: RunRequest): Promise<RunResult> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', WRAPPER, 'sh', req.command], {
        cwd: req.cwd,
        env: buildSandboxEnv({ cwd: req.cwd, path: this.#path, extra: req.env }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: killing -pid reaches every descendant
      });
      const output = new OutputBuffer(req.maxOutputBytes);
      let timedOut = false;
      let aborted = false;
      let killing = false;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let done = false;
      let closeCap: NodeJS.Timeout | undefined;

      // SIGTERM to the whole group now, SIGKILL to whatever is left after the grace period.
      const killGroup = (): void => {
        if (killing || child.pid === undefined) return;
        killing = true;
        const pgid = child.pid;
        if (signalGroup(pgid, 'SIGTERM')) {
          setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.#graceMs).unref();
        }
      };
      const onAbort = (): void => {
        aborted = true;
        killGroup();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, req.timeoutMs);
      req.signal?.addEventListener('abort', onAbort, { once: true });

      const finish = (): void => {
        if (done || exit === undefined) return;
        done = true;
        clearTimeout(closeCap);
        const exitCode = timedOut
          ? EXIT_TIMEOUT
          : aborted
            ? EXIT_ABORTED
            : exitCodeOf(exit.code, exit.signal);
        resolve(result({ exitCode, output: output.text(), timedOut, aborted }, performance.now() - started));
      };

      child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
      child.on('error', (err) => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          reject(new Error(`Sandbox could not start /bin/sh in ${req.cwd}: ${err.message}`));
        }
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        // The command is over: background processes it left behind go too. Their holding the
        // output pipes open must not keep us waiting for long either.
        killGroup();
        closeCap = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, this.#graceMs + 1000);
      });
      child.on('close', (code, signal) => {
        exit ??= { code, signal };
        finish();
      });
    });
  }
}

function result(r: Partial<RunResult> & { exitCode: number }, durationMs: number): RunResult {
  return {
    exitCode: r.exitCode,
    output: r.output ?? '',
    timedOut: r.timedOut ?? false,
    aborted: r.aborted ?? false,
    durationMs: Math.round(durationMs),
  };
}
