// Starts real `stint worker` subprocesses for tests (each with its own data dir, like separate machines).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliProcess } from './cli-process.ts';

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
  const p = await startCliProcess({
    args: ['worker', '--data-dir', dataDir, ...(opts.args ?? [])],
    env: opts.env,
    ready: /Stint worker (\S+) running/,
    what: 'worker',
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return {
    id: p.ready[1]!,
    dataDir,
    proc: p.proc,
    output: p.output,
    stop: p.stop,
    kill: p.kill,
    async cleanup() {
      await p.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
