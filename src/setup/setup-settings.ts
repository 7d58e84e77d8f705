/** Server-wide settings of source setup and its cache: environment > defaults. */
import { envInt } from '../env-int.ts';
import { duration } from '../sources/repo-config.ts';

export interface SetupSettings {
  /** STINT_SETUP_TIMEOUT: time limit of a session's setup unless its source sets one (default 20m). */
  timeoutMs: number;
  cache: SetupCacheSettings;
}

export interface SetupCacheSettings {
  /** STINT_SETUP_CACHE=0 turns the cache off (setup then runs in every session). */
  enabled: boolean;
  /** STINT_SETUP_CACHE_MAX_BYTES: disk the cache of this process may use (LRU beyond; default 10 GiB). */
  maxBytes: number;
  /** STINT_SETUP_CACHE_ENTRIES: keys kept per tenant and source (the least recently used goes; default 3). */
  entriesPerSource: number;
  /** STINT_SETUP_CACHE_SPARES: ready copies per key, made in the background (0: copy at restore; default 1). */
  spares: number;
}

type Fail = (message: string) => Error;

export function buildSetupSettings(env: NodeJS.ProcessEnv, fail: Fail = (m) => new Error(m)): SetupSettings {
  const timeoutMs = duration('STINT_SETUP_TIMEOUT', env.STINT_SETUP_TIMEOUT, 20 * 60_000, fail);
  if (timeoutMs < 1000 || timeoutMs > 24 * 3600_000)
    throw fail(`STINT_SETUP_TIMEOUT must be between 1s and 24h; got '${env.STINT_SETUP_TIMEOUT}'.`);
  const off = /^(0|false|no|off)$/i.test(env.STINT_SETUP_CACHE ?? '');
  return Object.freeze({
    timeoutMs,
    cache: Object.freeze({
      enabled: !off,
      maxBytes: envInt(
        fail,
        'STINT_SETUP_CACHE_MAX_BYTES',
        env.STINT_SETUP_CACHE_MAX_BYTES,
        10 * 1024 ** 3,
        0,
        2 ** 50,
      ),
      entriesPerSource: envInt(fail, 'STINT_SETUP_CACHE_ENTRIES', env.STINT_SETUP_CACHE_ENTRIES, 3, 1, 1000),
      spares: envInt(fail, 'STINT_SETUP_CACHE_SPARES', env.STINT_SETUP_CACHE_SPARES, 1, 0, 8),
    }),
  });
}
