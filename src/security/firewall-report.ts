/**
 * The session's firewall report: each host the allowlist proxy refused becomes one progress activity
 * naming it and saying how to allow it, once per session (per host). Hosts already reported are
 * remembered per session in this process (bounded); a session this process does not remember (after
 * a restart, or resumed by another worker) reads them back from its activities first.
 */
import type { Activity, NewActivity } from '../domain/activity.ts';
import type { BlockedConnection } from '../sandbox/sandbox.ts';

/** Hosts reported one by one per session; past this, one last activity says the rest are not. */
export const MAX_REPORTED_HOSTS = 50;
const REMEMBERED_SESSIONS = 1000;

/** sessionId -> hosts reported (insertion order is recency: the oldest session is forgotten first). */
const reportedBySession = new Map<string, Set<string>>();

const TITLE = 'Network: blocked ';

/** Whether this process remembers what it reported for the session. */
export function remembersSession(sessionId: string): boolean {
  return reportedBySession.has(sessionId);
}

/** Seeds the memory with the hosts the session's stored activities already report. */
export function rememberReported(sessionId: string, activities: readonly Activity[]): void {
  const set = reportedFor(sessionId);
  for (const a of activities) {
    if (
      a.originator === 'system' &&
      a.content.kind === 'progressUpdated' &&
      a.content.title.startsWith(TITLE)
    ) {
      set.add(a.content.title.slice(TITLE.length));
    }
  }
}

function reportedFor(sessionId: string | undefined): Set<string> {
  if (sessionId === undefined) return new Set();
  let set = reportedBySession.get(sessionId);
  if (set) reportedBySession.delete(sessionId);
  else set = new Set();
  reportedBySession.set(sessionId, set);
  while (reportedBySession.size > REMEMBERED_SESSIONS) {
    reportedBySession.delete(reportedBySession.keys().next().value as string);
  }
  return set;
}

export class FirewallReport {
  readonly #reported: Set<string>;
  #pending: NewActivity[] = [];

  constructor(sessionId?: string) {
    this.#reported = reportedFor(sessionId);
  }

  /** Records refused connections; hosts already reported in this session are skipped. */
  add(blocked: readonly BlockedConnection[]): void {
    for (const b of blocked) {
      if (this.#reported.has(b.host) || this.#reported.size > MAX_REPORTED_HOSTS) continue;
      this.#reported.add(b.host);
      if (this.#reported.size > MAX_REPORTED_HOSTS) {
        this.#pending.push({
          originator: 'system',
          content: {
            kind: 'progressUpdated',
            title: 'Network: more hosts blocked',
            description: `Commands tried to reach more than ${MAX_REPORTED_HOSTS} hosts that are not allowed; further ones are not reported.`,
          },
        });
        continue;
      }
      this.#pending.push(blockedActivity(b));
    }
  }

  /** The activities not yet handed out. */
  take(): NewActivity[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }
}

export function blockedActivity(b: BlockedConnection): NewActivity {
  const advice =
    b.cause === 'not-allowed'
      ? ` To allow it, add it to the source's allowlist (\`stint sources update <source> --allow-host ${b.host}\`) or to STINT_SANDBOX_ALLOW_HOSTS.`
      : '';
  return {
    originator: 'system',
    content: {
      kind: 'progressUpdated',
      title: `${TITLE}${b.host}`,
      description: `A command tried to connect to ${b.host}:${b.port}, and was refused: ${b.reason}.${advice}`,
    },
  };
}
