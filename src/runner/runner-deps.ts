import type { Logger } from 'pino';
import type { Agent } from '../agents/agent.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { SessionEvents } from '../services/events.ts';
import type { Store } from '../store/store.ts';

export interface RunnerConfig {
  /** Where per-session checkouts live. */
  workspacesDir: string;
  commandTimeoutMs: number;
  maxOutputBytes: number;
  /** Attach bashOutput artifacts to command progress (newer clients reject them). */
  bashOutputArtifacts: boolean;
}

export interface RunnerDeps {
  store: Store;
  agent: Agent;
  sandbox: Sandbox;
  events: SessionEvents;
  log: Logger;
  config: RunnerConfig;
}
