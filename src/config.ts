/** Server configuration: flags > environment > defaults. Frozen once built. */
import { resolve } from 'node:path';
import { type AgentConfig, buildAgentConfig } from './agents/agent-config.ts';
import { buildExtensionsConfig, type ExtensionsConfig } from './api/extensions-config.ts';
import { envInt } from './env-int.ts';
import { buildSecurityConfig, type SecurityConfig } from './security/security-config.ts';
import { buildSetupSettings, type SetupSettings } from './setup/setup-settings.ts';
import { buildRepoConfig, type RepoConfig } from './sources/repo-config.ts';

export interface StintConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  /** The agent backend and its settings: model, budgets, external CLI (src/agents/agent-config.ts). */
  agent: AgentConfig['agent'];
  model: AgentConfig['model'];
  budgets: AgentConfig['budgets'];
  cliAgent: AgentConfig['cliAgent'];
  agentScript: string | undefined;
  worker: boolean;
  concurrency: number;
  /** How long a worker's claim on a session lasts without a heartbeat (STINT_LEASE_MS). */
  leaseMs: number;
  /** Attempts at a session before it FAILS with its last error (STINT_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Wait before the next attempt: STINT_RETRY_BASE_MS doubled per attempt, at most STINT_RETRY_MAX_MS. */
  retry: { baseMs: number; maxMs: number };
  commandTimeoutMs: number;
  maxOutputBytes: number;
  bashOutputArtifacts: boolean;
  bodyLimitBytes: number;
  maxPromptBytes: number;
  logLevel: string;
  /** Sandbox, secrets, limits and audit (src/security/security-config.ts). */
  security: SecurityConfig;
  /** Streams, webhooks, idempotency and metrics (src/api/extensions-config.ts). */
  extensions: ExtensionsConfig;
  /** Workspaces, pushed branches and GitHub (src/sources/repo-config.ts). */
  repos: RepoConfig;
  /** Source setup: its time limit and cache (src/setup/setup-settings.ts). */
  setup: SetupSettings;
}

export interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  publicUrl?: string;
  agent?: string;
  /** --model provider:model (STINT_MODEL) for --agent llm. */
  model?: string;
  agentScript?: string;
  worker?: boolean;
  concurrency?: string;
  bashOutput?: boolean;
  sandbox?: string;
  githubApiUrl?: string;
  branchPrefix?: string;
  workspaceRetention?: string;
}

export class ConfigError extends Error {}

const bool = (raw: string | undefined) => raw !== undefined && /^(1|true|yes|on)$/i.test(raw);

const fail = (message: string) => new ConfigError(message);

export function buildConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Readonly<StintConfig> {
  const agentConfig = buildAgentConfig(flags, env, fail);
  return Object.freeze({
    host: flags.host ?? env.STINT_HOST ?? '127.0.0.1',
    port: envInt(fail, '--port', flags.port ?? env.STINT_PORT, 8080, 0, 65535),
    dataDir: resolve(flags.dataDir ?? env.STINT_DATA_DIR ?? '.stint'),
    databaseUrl: env.STINT_DATABASE_URL || undefined,
    publicUrl: (flags.publicUrl ?? env.STINT_PUBLIC_URL)?.replace(/\/+$/, '') || undefined,
    ...agentConfig,
    agentScript: flags.agentScript ?? env.STINT_AGENT_SCRIPT ?? undefined,
    worker: flags.worker ?? !bool(env.STINT_NO_WORKER),
    concurrency: envInt(fail, '--concurrency', flags.concurrency ?? env.STINT_CONCURRENCY, 32, 1, 10_000),
    leaseMs: envInt(fail, 'STINT_LEASE_MS', env.STINT_LEASE_MS, 30_000, 1000, 3600_000),
    maxAttempts: envInt(fail, 'STINT_MAX_ATTEMPTS', env.STINT_MAX_ATTEMPTS, 5, 1, 1000),
    retry: Object.freeze({
      baseMs: envInt(fail, 'STINT_RETRY_BASE_MS', env.STINT_RETRY_BASE_MS, 2000, 1, 3600_000),
      maxMs: envInt(fail, 'STINT_RETRY_MAX_MS', env.STINT_RETRY_MAX_MS, 5 * 60_000, 1, 24 * 3600_000),
    }),
    commandTimeoutMs: envInt(
      fail,
      'STINT_COMMAND_TIMEOUT_MS',
      env.STINT_COMMAND_TIMEOUT_MS,
      10 * 60_000,
      100,
      24 * 3600_000,
    ),
    maxOutputBytes: envInt(
      fail,
      'STINT_MAX_OUTPUT_BYTES',
      env.STINT_MAX_OUTPUT_BYTES,
      256 * 1024,
      1024,
      64 * 1024 * 1024,
    ),
    bashOutputArtifacts: flags.bashOutput ?? bool(env.STINT_BASH_OUTPUT_ARTIFACTS),
    bodyLimitBytes: envInt(
      fail,
      'STINT_BODY_LIMIT_BYTES',
      env.STINT_BODY_LIMIT_BYTES,
      2 * 1024 * 1024,
      1024,
      1024 ** 3,
    ),
    maxPromptBytes: envInt(
      fail,
      'STINT_MAX_PROMPT_BYTES',
      env.STINT_MAX_PROMPT_BYTES,
      512 * 1024,
      16,
      1024 ** 3,
    ),
    logLevel: env.STINT_LOG_LEVEL ?? 'info',
    security: Object.freeze(buildSecurityConfig(flags, env, fail)),
    extensions: buildExtensionsConfig(env, fail),
    repos: buildRepoConfig(flags, env, fail),
    setup: buildSetupSettings(env, fail),
  });
}
