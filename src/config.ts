/** Server configuration: flags > environment > defaults. Frozen once built. */
import { resolve } from 'node:path';

export interface StintConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  agent: 'scripted';
  agentScript: string | undefined;
  worker: boolean;
  concurrency: number;
  commandTimeoutMs: number;
  maxOutputBytes: number;
  bashOutputArtifacts: boolean;
  bodyLimitBytes: number;
  maxPromptBytes: number;
  logLevel: string;
}

export interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  publicUrl?: string;
  agent?: string;
  agentScript?: string;
  worker?: boolean;
  concurrency?: string;
  bashOutput?: boolean;
}

export class ConfigError extends Error {}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}; got '${raw}'.`);
  }
  return n;
}

const bool = (raw: string | undefined) => raw !== undefined && /^(1|true|yes|on)$/i.test(raw);

export function buildConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Readonly<StintConfig> {
  const agent = flags.agent ?? env.STINT_AGENT ?? 'scripted';
  if (agent !== 'scripted') {
    throw new ConfigError(`--agent must be 'scripted' in this version; got '${agent}'.`);
  }
  return Object.freeze({
    host: flags.host ?? env.STINT_HOST ?? '127.0.0.1',
    port: int('--port', flags.port ?? env.STINT_PORT, 8080, 0, 65535),
    dataDir: resolve(flags.dataDir ?? env.STINT_DATA_DIR ?? '.stint'),
    databaseUrl: env.STINT_DATABASE_URL || undefined,
    publicUrl: (flags.publicUrl ?? env.STINT_PUBLIC_URL)?.replace(/\/+$/, '') || undefined,
    agent,
    agentScript: flags.agentScript ?? env.STINT_AGENT_SCRIPT ?? undefined,
    worker: flags.worker ?? !bool(env.STINT_NO_WORKER),
    concurrency: int('--concurrency', flags.concurrency ?? env.STINT_CONCURRENCY, 32, 1, 10_000),
    commandTimeoutMs: int(
      'STINT_COMMAND_TIMEOUT_MS',
      env.STINT_COMMAND_TIMEOUT_MS,
      10 * 60_000,
      100,
      24 * 3600_000,
    ),
    maxOutputBytes: int(
      'STINT_MAX_OUTPUT_BYTES',
      env.STINT_MAX_OUTPUT_BYTES,
      256 * 1024,
      1024,
      64 * 1024 * 1024,
    ),
    bashOutputArtifacts: flags.bashOutput ?? bool(env.STINT_BASH_OUTPUT_ARTIFACTS),
    bodyLimitBytes: int(
      'STINT_BODY_LIMIT_BYTES',
      env.STINT_BODY_LIMIT_BYTES,
      2 * 1024 * 1024,
      1024,
      1024 ** 3,
    ),
    maxPromptBytes: int('STINT_MAX_PROMPT_BYTES', env.STINT_MAX_PROMPT_BYTES, 512 * 1024, 16, 1024 ** 3),
    logLevel: env.STINT_LOG_LEVEL ?? 'info',
  });
}
