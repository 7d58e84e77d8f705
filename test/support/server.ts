// Starts a real `stint serve` subprocess for tests, on a random free port bound to 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { deploymentServeArgs, withDeploymentWorkers } from './deployment.ts';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cliEntry = join(repoRoot, 'src', 'cli', 'main.ts');

export interface StartedServer {
  /** Origin, e.g. http://127.0.0.1:40123 */
  origin: string;
  /** API base, e.g. http://127.0.0.1:40123/v1alpha */
  baseUrl: string;
  apiKey: string;
  dataDir: string;
  proc: ChildProcess;
  /** All stdout+stderr seen so far. */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Stop (if running) and remove the data dir unless keepDataDir. */
  cleanup(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  apiKey?: string;
  args?: string[];
  env?: Record<string, string>;
  keepDataDir?: boolean;
  timeoutMs?: number;
}

/**
 * Servers still running when a test file ends are killed, so a failed assertion that
 * skipped a test's own clean-up never leaves a server keeping the test process alive.
 */
const live = new Set<ChildProcess>();
if (process.env.NODE_TEST_CONTEXT) {
  after(() => {
    for (const p of live) p.kill('SIGKILL');
  });
}
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export function makeTempDir(prefix = 'stint-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startServer(opts: StartOptions = {}): Promise<StartedServer> {
  const dataDir = opts.dataDir ?? makeTempDir();
  const apiKey = opts.apiKey ?? `test_${randomBytes(16).toString('hex')}`;
  const proc = spawn(
    process.execPath,
    [
      cliEntry,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...deploymentServeArgs(),
      ...(opts.args ?? []),
    ],
    {
      env: { ...process.env, STINT_API_KEY: apiKey, STINT_LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((res) =>
    proc.once('exit', (code) => {
      live.delete(proc);
      res(code);
    }),
  );
  const origin = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`server did not start in time:\n${out}`)),
      opts.timeoutMs ?? 20_000,
    );
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/i.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!.replace(/\/$/, ''));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const server: StartedServer = {
    origin,
    baseUrl: `${origin}/v1alpha`,
    apiKey,
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
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return withDeploymentWorkers(server, opts.env);
}

/** fetch() against the API with the server's key; returns status and parsed JSON body. */
export async function api(
  server: Pick<StartedServer, 'baseUrl' | 'apiKey'>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-goog-api-key': server.apiKey, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function waitUntil<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('waitUntil: timed out');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
