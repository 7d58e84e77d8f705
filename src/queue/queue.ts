import type { ReleaseOutcome } from '../store/store.ts';

/** Who works on which session. A claimed session is leased to one worker until released or expired. */
export interface WorkQueue {
  readonly kind: string;
  /** Lease length; a worker must heartbeat well within it. */
  readonly leaseMs: number;
  /** Makes leases of dead workers claimable (single node: all of them, at start-up). */
  recover(): Promise<void>;
  claim(owner: string): Promise<string | undefined>;
  heartbeat(sessionId: string, owner: string): Promise<boolean>;
  /** Ends the worker's attempt: `failed` backs the session off; `done` (default) resets its attempts. */
  release(sessionId: string, owner: string, outcome?: ReleaseOutcome): Promise<void>;
  /** Resolves when work may be available, after timeoutMs at the latest, or when signal aborts. */
  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
