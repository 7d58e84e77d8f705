// Runs one child process in its own process group with a wall-time limit, an output limit and an
// abort signal; the whole group is killed when any of them fires or when the child exits. Shared
// by the process-based sandboxes (plain, bubblewrap): they differ only in what they spawn.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { OutputBuffer } from './output-buffer.ts';
import { exitCodeOf } from './process-group.ts';
import { killTree } from './process-tree.ts';
import { EXIT_ABORTED, EXIT_TIMEOUT, type RunRequest, type RunResult } from './sandbox.ts';

export interface ProcessRunOptions {
  file: string;
  args: readonly string[];
  /** Working directory of the spawned process (for bubblewrap: of bwrap itself). */
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal | undefined;
  /** Each piece of output as it arrives. */
  onOutput?: ((chunk: Buffer) => void) | undefined;
  /** Delay between SIGTERM and SIGKILL. */
  graceMs: number;
  /** What to say when the process cannot be spawned at all. */
  describe: string;
  /** Told the process's pid (its process group's id) once it is spawned. */
  onSpawn?: ((pid: number) => void) | undefined;
  /**
   * Every process the child starts ends when it exits (bubblewrap's PID namespace, whose init's
   * exit kills the rest): nothing is left to look for and kill after a normal exit. A timeout or
   * an abort still signals the whole tree.
   */
  contained?: boolean | undefined;
  /**
   * Files the child gets open for reading on descriptors 3, 4, … in this order (bubblewrap's
   * copied files). One that cannot be opened is given as /dev/null: the child's arguments name
   * every descriptor.
   */
  fdFiles?: readonly string[] | undefined;
}

/** Resolves with the outcome whatever it is; rejects only if the process cannot be spawned. */
export function runProcess(opts: ProcessRunOptions): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawnChild(opts);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    const output = new OutputBuffer(opts.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let killing = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let done = false;
    let closeCap: NodeJS.Timeout | undefined;

    // SIGTERM to the whole tree now, SIGKILL to whatever is left after the grace period.
    const killGroup = (): void => {
      if (killing || child.pid === undefined) return;
      killing = true;
      killTree(child.pid, opts.graceMs);
    };
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted before we got here (e.g. while the sandbox was being prepared): the listener never fires.
    if (opts.signal?.aborted) onAbort();

    const finish = (): void => {
      if (done || exit === undefined) return;
      done = true;
      clearTimeout(closeCap);
      const exitCode = timedOut ? EXIT_TIMEOUT : aborted ? EXIT_ABORTED : exitCodeOf(exit.code, exit.signal);
      resolve(runResult({ exitCode, output: output.text(), timedOut, aborted }, performance.now() - started));
    };

    const onData = (chunk: Buffer): void => {
      output.push(chunk);
      opts.onOutput?.(chunk);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!done) {
        done = true;
        reject(new Error(`Sandbox could not start ${opts.describe}: ${err.message}`));
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // The command is over: background processes it left behind go too (finding them reads all
      // of /proc, so not where nothing can be left). Their holding the output pipes open must not
      // keep us waiting for long either.
      if (!opts.contained) killGroup();
      closeCap = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, opts.graceMs + 1000);
    });
    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });
}

function spawnChild(opts: ProcessRunOptions): ChildProcessByStdio<null, Readable, Readable> {
  const fds = (opts.fdFiles ?? []).map(openForChild);
  try {
    return spawn(opts.file, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
      detached: true, // its own process group: killing -pid reaches every descendant
    }) as ChildProcessByStdio<null, Readable, Readable>;
  } finally {
    // The child has its own copies now (or never will).
    for (const fd of fds) closeSync(fd);
  }
}

// Non-blocking: a FIFO put in a file's place must not stall the spawner (bwrap then copies nothing).
function openForChild(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return openSync('/dev/null', 'r');
  }
}

export function runResult(r: Partial<RunResult> & { exitCode: number }, durationMs: number): RunResult {
  return {
    exitCode: r.exitCode,
    output: r.output ?? '',
    timedOut: r.timedOut ?? false,
    aborted: r.aborted ?? false,
    durationMs: Math.round(durationMs),
  };
}

/**
 * Checks shared by every process sandbox before spawning: throws on a malformed request, returns
 * the result without running anything when the request is already aborted or cannot be run.
 */
export async function preflight(req: RunRequest): Promise<RunResult | undefined> {
  if (!(req.timeoutMs > 0)) throw new Error(`timeoutMs must be positive, got ${req.timeoutMs}`);
  if (!(req.maxOutputBytes >= 0)) throw new Error(`maxOutputBytes must be >= 0, got ${req.maxOutputBytes}`);
  const cwdStat = await stat(req.cwd).catch(() => undefined);
  if (!cwdStat?.isDirectory()) throw new Error(`Sandbox working directory does not exist: ${req.cwd}`);
  if (req.signal?.aborted) return runResult({ exitCode: EXIT_ABORTED, aborted: true }, 0);
  if (req.command.includes('\0')) {
    return runResult({ exitCode: 2, output: 'sandbox: the command contains a NUL byte\n' }, 0);
  }
  return undefined;
}
