import type { Logger } from 'pino';
import type { Agent } from '../agents/agent.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { SessionSecurity } from '../security/session-guard.ts';
import type { SessionEvents } from '../services/events.ts';
import type { RepoServices } from '../sources/repo-services.ts';
import type { Store } from '../store/store.ts';
import type { SessionSetupDeps } from './session-setup.ts';

export interface RunnerConfig {
  /** Where per-session checkouts live. */
  workspacesDir: string;
  commandTimeoutMs: number;
  maxOutputBytes: number;
  /** Attach bashOutput artifacts to command progress (newer clients reject them). */
  bashOutputArtifacts: boolean;
  /** Attempts at a session (claims without a clean stop) before it FAILS with its last error. */
  maxAttempts: number;
}

/**
 * Points where a test may hold a drive (awaited; absent in production): the exact moments between
 * the side effects and the commits that fence them.
 */
export interface RunnerHooks {
  /** The agent said `done` and the changes are collected; the `done` commit comes next. */
  beforeDoneCommit?(sessionId: string): Promise<void>;
  /** The `done` commit left a delivery pending; publishing comes next. */
  beforeDelivery?(sessionId: string): Promise<void>;
}

export interface RunnerDeps {
  store: Store;
  agent: Agent;
  sandbox: Sandbox;
  events: SessionEvents;
  log: Logger;
  config: RunnerConfig;
  /** Per-session secrets, confinement and redaction (src/security); optional for tests. */
  security?: SessionSecurity;
  /** Sources, their providers, session workspaces (mirrors, warm pool) and branch settings. */
  repos: RepoServices;
  /** Source setup settings and the setup cache (src/setup); without: built-in defaults, no cache. */
  setup?: SessionSetupDeps;
  hooks?: RunnerHooks;
}
