/**
 * A `stint` subprocess for tests (serve, worker): output captured, started when its banner
 * matches, killed when the test file ends even if a failed assertion skipped its clean-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
export const cliEntry = join(root, 'src', 'cli', 'main.ts');
/** What `npm start` and the container run: tsc's build (`npm run build`). */
export const builtCliEntry = join(root, 'dist', 'cli', 'main.js');

const live = new Set<ChildProcess>();
if (process.env.NODE_TEST_CONTEXT) {
  after(() => {
    for (const p of live) p.kill('SIGKILL');
  });
}
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface CliProcess {
  proc: ChildProcess;
  /** The banner match that said the process is ready. */
  ready: RegExpExecArray;
  output(): string;
  running(): boolean;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export async function startCliProcess(opts: {
  args: string[];
  env: Record<string, string | undefined>;
  /** What the process prints once it is ready. */
  ready: RegExp;
  /** For error messages, e.g. 'server'. */
  what: string;
  /** Bounds a hang, not a speed target (default 300 s: a busy machine starts Node slowly). */
  timeoutMs?: number;
  /** The TypeScript sources (default), or the build users run (benchmarks). */
  entry?: 'source' | 'build';
}): Promise<CliProcess> {
  const entry = opts.entry === 'build' ? builtCliEntry : cliEntry;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
  const proc = spawn(process.execPath, [entry, ...opts.args], {
    env: { ...process.env, STINT_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  let running = true;
  const exited = new Promise<number | null>((res) =>
    proc.once('exit', (code) => {
      running = false;
      live.delete(proc);
      res(code);
    }),
  );
  const ready = await new Promise<RegExpExecArray>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`${opts.what} did not start in time:\n${out}`)),
      opts.timeoutMs ?? 300_000,
    );
    const onData = (d: Buffer) => {
      out += d;
      const m = opts.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${opts.what} exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    proc,
    ready,
    output: () => out,
    running: () => running,
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
  };
}
