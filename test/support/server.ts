// Starts a real `stint serve` subprocess for tests, on a random free port bound to 127.0.0.1.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliEntry, startCliProcess } from './cli-process.ts';
import { deploymentServeArgs, withDeploymentWorkers } from './deployment.ts';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export { cliEntry };

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
  /** The TypeScript sources (default), or the build users run (benchmarks). */
  entry?: 'source' | 'build';
}

export function makeTempDir(prefix = 'stint-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const removedAtExit = new Set<string>();

/** A temp dir removed when the test process exits (for fixtures whose callers never see its root). */
export function makeTempDirRemovedAtExit(prefix: string): string {
  if (removedAtExit.size === 0) {
    process.once('exit', () => {
      for (const dir of removedAtExit) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    });
  }
  const dir = makeTempDir(prefix);
  removedAtExit.add(dir);
  return dir;
}

export async function startServer(opts: StartOptions = {}): Promise<StartedServer> {
  const dataDir = opts.dataDir ?? makeTempDir();
  const apiKey = opts.apiKey ?? `test_${randomBytes(16).toString('hex')}`;
  const p = await startCliProcess({
    args: [
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
    env: { STINT_API_KEY: apiKey, ...opts.env },
    ready: /listening on (http:\/\/[^\s]+)/i,
    what: 'server',
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.entry !== undefined ? { entry: opts.entry } : {}),
  });
  const origin = p.ready[1]!.replace(/\/$/, '');
  const server: StartedServer = {
    origin,
    baseUrl: `${origin}/v1alpha`,
    apiKey,
    dataDir,
    proc: p.proc,
    output: p.output,
    stop: p.stop,
    kill: p.kill,
    async cleanup() {
      await p.kill();
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

/**
 * Polls fn until it returns a truthy value or the deadline passes. The deadline bounds a hang, it is
 * not a speed target: size it from the work awaited. `progress` (e.g. "12/60 sessions completed") is
 * put in the timeout's message, so a failure says how far things got.
 */
export async function waitUntil<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 120_000,
  intervalMs = 50,
  progress?: () => Promise<string> | string,
): Promise<T> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) {
      const state = progress ? `: ${await progress()}` : '';
      throw new Error(`waitUntil: timed out after ${Date.now() - started} ms${state}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
