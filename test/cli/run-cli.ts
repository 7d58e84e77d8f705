/** Runs the `stint` CLI as a subprocess (node src/cli/main.ts ...), never on a terminal. */
import { spawn } from 'node:child_process';
import { cliEntry } from '../support/server.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Bounds a hang, not a speed target (default 200 s: a busy machine starts Node slowly). */
  timeoutMs?: number;
  /** Script to run instead of src/cli/main.ts (e.g. bin/stint.cjs). */
  entry?: string;
}

/** The environment without colour switches, so that output is exactly what a pipe gets. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) {
    if (v === undefined || k === 'FORCE_COLOR' || k === 'NO_COLOR' || k.startsWith('STINT_')) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.entry ?? cliEntry, ...args], {
      cwd: opts.cwd,
      env: cleanEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stint ${args.join(' ')} did not finish in time:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 200_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
