// Starts real `stint worker` subprocesses for tests (each with its own data dir, like separate machines).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Not imported from server.ts, which loads this module (through deployment.ts).
const cliEntry = join(resolve(import.meta.dirname, '..', '..'), 'src', 'cli', 'main.ts');

export interface StartedWorker {
  /** The worker's lease owner id, as recorded in the store. */
  id: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM (graceful drain) and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Kill if running and remove the data dir. */
  cleanup(): Promise<void>;
}

export interface WorkerOptions {
  /** Must hold STINT_DATABASE_URL. */
  env: Record<string, string>;
  args?: string[];
  dataDir?: string;
  timeoutMs?: number;
}

export async function startWorker(opts: WorkerOptions): Promise<StartedWorker> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'stint-worker-'));
  const proc = spawn(process.execPath, [cliEntry, 'worker', '--data-dir', dataDir, ...(opts.args ?? [])], {
    env: { ...process.env, STINT_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  let running = true;
  const exited = new Promise<number | null>((res) =>
    proc.once('exit', (code) => {
      running = false;
      res(code);
    }),
  );
  const id = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`worker did not start in time:\n${out}`)),
      opts.timeoutMs ?? 20_000,
    );
    const onData = () => {
      const m = /Stint worker (\S+) running/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`worker exited with ${code} before running:\n${out}`));
    });
  });
  return {
    id,
    dataDir,
    proc,
    output: () => out,
    async stop() {
      if (!running) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (!running) return;
      proc.kill('SIGKILL');
      await exited;
    },
    async cleanup() {
      if (running) {
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
