/**
 * What the runner applies to one session: its commands run with its secrets in the environment,
 * confined to its checkout, with network only where allowed; their output, and everything the
 * session records (activities, outputs, patches), has the secrets replaced by `***`; its checkout
 * may not grow beyond the disk limit.
 */

import type { NewActivity } from '../domain/activity.ts';
import type { Session } from '../domain/session.ts';
import type { NetworkAllowlist, RunRequest, RunResult, Sandbox } from '../sandbox/sandbox.ts';
import type { SessionChange } from '../store/store.ts';
import { DiskMeter } from './disk-meter.ts';
import { formatBytes } from './disk-usage.ts';
import { FirewallReport } from './firewall-report.ts';
import { Redactor } from './redactor.ts';

export interface SessionSecurity {
  /** Loads a session's secrets and rules (once per run of the session). */
  forSession(session: Session, workdir: string): Promise<SessionGuard>;
}

export interface SessionGuardOptions {
  workdir: string;
  /** Environment for commands: pass-through variables and the session's secrets. */
  env: Record<string, string>;
  /** Values to redact (the secrets). */
  secrets: string[];
  /** The session's network: all, none, or only the allowlisted hosts through the proxy. */
  network: boolean | NetworkAllowlist;
  /** 0: unlimited. */
  maxWorkspaceBytes: number;
  /** The longest the checkout goes unmeasured (default 30 s; 0: after every command and step). */
  diskRecheckMs?: number;
  /** The session's id: its firewall report names each blocked host once per session. */
  sessionId?: string;
  /** What the source's setup commands get instead of `env` and `network` (src/setup). */
  setup?: SetupRules;
}

export interface SetupRules {
  /** Pass-through variables and only the secrets configured for setup. */
  env: Record<string, string>;
  /** Their values (redacted like the session's). */
  secrets: string[];
  network: RunRequest['network'];
}

export class SessionGuard {
  readonly #opts: SessionGuardOptions;
  readonly #redactor: Redactor;
  readonly #disk: DiskMeter | undefined;
  #overLimit: string | undefined;
  readonly #firewall: FirewallReport;

  constructor(opts: SessionGuardOptions) {
    this.#opts = opts;
    this.#redactor = new Redactor([...opts.secrets, ...(opts.setup?.secrets ?? [])]);
    this.#firewall = new FirewallReport(opts.sessionId);
    const recheck = opts.diskRecheckMs === undefined ? {} : { recheckMs: opts.diskRecheckMs };
    this.#disk =
      opts.maxWorkspaceBytes > 0 ? new DiskMeter(opts.workdir, opts.maxWorkspaceBytes, recheck) : undefined;
  }

  get network(): boolean | NetworkAllowlist {
    return this.#opts.network;
  }

  /**
   * The firewall report since the last call: one progress activity per host the allowlist proxy
   * refused, each host once per session. The runner adds them to its next commit.
   */
  takeNetworkReports(): NewActivity[] {
    return this.#firewall.take();
  }

  redact(text: string): string {
    return this.#redactor.text(text);
  }

  /** Whether `text` holds one of the session's secrets (in any form the redactor matches). */
  holdsSecret(text: string): boolean {
    return this.#redactor.active && this.#redactor.text(text) !== text;
  }

  /**
   * The change with secrets redacted from everything the store keeps: activities, outputs, the
   * title, the agent's state (its transcript) and the workspace snapshot. A snapshot whose patch held
   * a secret no longer rebuilds the exact tree: resuming it on another worker fails with a reason
   * (the same worker continues from its own checkout).
   */
  redactChange(change: SessionChange): SessionChange {
    if (!this.#redactor.active) return change;
    const out = { ...change };
    if (change.activities) out.activities = this.#redactor.deep(change.activities);
    if (change.outputs) out.outputs = this.#redactor.deep(change.outputs);
    if (change.title !== undefined) out.title = this.#redactor.text(change.title);
    if (change.transcript) out.transcript = this.#redactor.deep(change.transcript);
    if (change.plan) out.plan = this.#redactor.deep(change.plan);
    if (change.delivery) out.delivery = this.#redactor.deep(change.delivery);
    if (change.workspace)
      out.workspace = { ...change.workspace, patch: this.#redactor.text(change.workspace.patch) };
    return out;
  }

  /**
   * `inner` with this session's environment, root, network rule, redaction and disk check. `network`
   * overrides the session's rule for trusted callers; the agent cannot grant itself the network:
   * what a request says is ignored.
   */
  sandbox(inner: Sandbox, network: boolean | NetworkAllowlist = this.#opts.network): Sandbox {
    return this.#confined(inner, this.#opts.env, network);
  }

  /** `inner` for the source's setup: its own environment (setup's secrets only) and network rule. */
  setupSandbox(inner: Sandbox): Sandbox {
    const setup = this.#opts.setup ?? { env: {}, network: this.#opts.network };
    return this.#confined(inner, setup.env, setup.network ?? false);
  }

  #confined(inner: Sandbox, env: Record<string, string>, network: RunRequest['network']): Sandbox {
    return {
      kind: inner.kind,
      run: async (req: RunRequest): Promise<RunResult> => {
        const result = await inner.run({
          ...req,
          env: { ...env, ...req.env },
          root: this.#opts.workdir,
          // The agent cannot grant itself the network: only the session's rule counts.
          network,
        });
        if (result.blocked)
          this.#firewall.add(result.blocked.map((b) => ({ ...b, host: this.redact(b.host) })));
        let output = this.#redactor.text(result.output);
        const over = await this.checkDisk();
        if (over) output += `\n[stint: ${over}]`;
        return { ...result, output };
      },
    };
  }

  /**
   * A reason when the checkout is over its disk limit. Checked after every command and step; the
   * tree is walked only when the filesystem's free space says the limit may have been crossed, or
   * every STINT_DISK_RECHECK_MS (30 s; src/security/disk-meter.ts).
   */
  async checkDisk(): Promise<string | undefined> {
    if (!this.#disk || this.#overLimit) return this.#overLimit;
    if (await this.#disk.over()) {
      this.#overLimit = `The workspace uses more than ${formatBytes(this.#opts.maxWorkspaceBytes)} of disk (STINT_MAX_WORKSPACE_BYTES); the session was stopped.`;
    }
    return this.#overLimit;
  }
}
