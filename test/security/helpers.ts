// An in-process Stint for security tests: createStint() on a temp data dir, keys per tenant, and
// app.inject() requests (no sockets unless the worker must run).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { registerApiKey } from '../../src/api/auth.ts';
import { buildConfig } from '../../src/config.ts';
import { createStint, type Stint } from '../../src/server.ts';
import type { KeyRole } from '../../src/store/store.ts';
import { makeTempDir } from '../support/server.ts';

export interface TestStint {
  stint: Stint;
  dataDir: string;
  /** Registers a new key for a tenant (created if needed) and returns it. */
  key(tenantId: string, role?: KeyRole): Promise<string>;
  /** app.inject() with JSON in and out. */
  call(
    key: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startTestStint(
  opts: { env?: Record<string, string>; worker?: boolean; dataDir?: string } = {},
): Promise<TestStint> {
  const dataDir = opts.dataDir ?? makeTempDir('stint-sec-');
  const saved = process.env.STINT_API_KEY;
  delete process.env.STINT_API_KEY;
  const config = buildConfig(
    { dataDir, host: '127.0.0.1', port: '0', worker: opts.worker ?? false },
    { STINT_LOG_LEVEL: 'error', ...opts.env },
  );
  let stint: Stint;
  try {
    stint = await createStint(config);
  } finally {
    if (saved !== undefined) process.env.STINT_API_KEY = saved;
  }
  try {
    if (opts.worker) await stint.listen();
    else await stint.app.ready();
  } catch (e) {
    await stint.close().catch(() => {});
    throw e;
  }
  return {
    stint,
    dataDir,
    async key(tenantId, role = 'member') {
      const key = `test_${randomBytes(12).toString('hex')}`;
      await stint.store.ensureTenant(tenantId, tenantId);
      await registerApiKey(stint.store, key, { name: `${tenantId}-${role}`, role, tenantId });
      return key;
    },
    async call(key, method, path, body, headers = {}) {
      const res = await boundedInject(stint.app, {
        method: method as 'GET',
        url: path,
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { 'x-goog-api-key': key }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      let parsed: unknown = res.body;
      try {
        parsed = res.body ? JSON.parse(res.body) : {};
      } catch {}
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async close() {
      await stint.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BoundedResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  /** The response was still streaming when the bound was reached (a live stream). */
  cut: boolean;
}

/**
 * app.inject() that also copes with endless responses (live streams): the body is read for at most
 * `maxMs` or `maxBytes`, then the stream is dropped.
 */
export async function boundedInject(
  app: FastifyInstance,
  opts: InjectOptions,
  bound: { maxMs?: number; maxBytes?: number } = {},
): Promise<BoundedResponse> {
  const res = await app.inject({ ...opts, payloadAsStream: true });
  const stream = res.stream();
  const chunks: Buffer[] = [];
  let size = 0;
  const cut = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), bound.maxMs ?? 2000);
    stream.on('data', (c: Buffer) => {
      chunks.push(Buffer.from(c));
      size += c.length;
      if (size > (bound.maxBytes ?? 4 * 1024 * 1024)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(false);
    });
    stream.on('error', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (cut) stream.destroy();
  return {
    statusCode: res.statusCode,
    headers: res.headers as Record<string, unknown>,
    body: Buffer.concat(chunks).toString('utf8'),
    cut,
  };
}

/** Polls fn until truthy, within a bound (it fails a hang; a busy machine is slow). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('eventually: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
