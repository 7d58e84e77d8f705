// A Stint server in the test's own process (createStint), for tests that look inside it (worker,
// store) or that should not pay for a subprocess. Binds 127.0.0.1 on a free port.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { registerApiKey } from '../../src/api/auth.ts';
import { buildConfig, type ServeFlags } from '../../src/config.ts';
import { createStint, type Stint } from '../../src/server.ts';
import { makeTempDir } from './server.ts';

export interface InProcessServer {
  stint: Stint;
  origin: string;
  baseUrl: string;
  apiKey: string;
  dataDir: string;
  /** Closes the server; removes the data dir unless keepDataDir. */
  close(opts?: { keepDataDir?: boolean }): Promise<void>;
}

export async function startInProcess(
  opts: { dataDir?: string; env?: Record<string, string>; flags?: ServeFlags; apiKey?: string } = {},
): Promise<InProcessServer> {
  const dataDir = opts.dataDir ?? makeTempDir();
  const config = buildConfig(
    { host: '127.0.0.1', port: '0', dataDir, ...opts.flags },
    { STINT_LOG_LEVEL: 'warn', PATH: process.env.PATH ?? '', ...opts.env },
  );
  const stint = await createStint(config);
  const apiKey = opts.apiKey ?? `test_${randomBytes(12).toString('hex')}`;
  await registerApiKey(stint.store, apiKey, { name: 'test', role: 'admin' });
  const origin = await stint.listen();
  let closed = false;
  return {
    stint,
    origin,
    baseUrl: `${origin}/v1alpha`,
    apiKey,
    dataDir,
    async close(c = {}) {
      if (!closed) {
        closed = true;
        await stint.close();
      }
      if (!c.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
