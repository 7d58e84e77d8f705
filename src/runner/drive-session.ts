/**
 * Drives one claimed session: workspace -> agent events (plan, approval gate,
 * work) -> outputs. Every step is committed before the next begins, so a crash
 * resumes from the last committed step.
 */
import { join } from 'node:path';
import type { AgentContext, AgentEvent } from '../agents/agent.ts';
import type { NewActivity } from '../domain/activity.ts';
import { parseSourceName } from '../domain/names.ts';
import { isTerminal, WAITING_STATES } from '../domain/states.ts';
import { nowMicros } from '../domain/time.ts';
import { transition } from '../domain/transitions.ts';
import type { SessionGuard } from '../security/session-guard.ts';
import type { SessionChange, SessionRecord } from '../store/store.ts';
import { applyEvent } from './apply-event.ts';
import { collectChanges } from './outputs.ts';
import { readRunState } from './run-state.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { prepareSessionWorkspace, releaseSessionWorkspace } from './session-workspace.ts';
import { WorkspaceTracker } from './workspace-tracker.ts';

export class SessionGone extends Error {}

export async function driveSession(
  deps: RunnerDeps,
  sessionId: string,
  owner: string,
  signal: AbortSignal,
): Promise<void> {
  const { store } = deps;
  let record = await store.getSession(sessionId);
  if (!record) return;
  let knownCount = record.work.activityCount;
  // Secrets, confinement and redaction for this session (src/security); none without security deps.
  let guard: SessionGuard | undefined;

  const commit = async (decide: (r: SessionRecord) => SessionChange): Promise<SessionRecord> => {
    const redacted = (r: SessionRecord) => (guard ? guard.redactChange(decide(r)) : decide(r));
    const res = await store.mutateSession(sessionId, (r) => ({ change: redacted(r) }), { leaseOwner: owner });
    if (!res) throw new SessionGone();
    knownCount = res.record.work.activityCount;
    deps.events.emitChanged({ session: res.record.session, activities: res.activities });
    return res.record;
  };

  const { session, work } = record;
  if (!work.wantsWork) return;
  if (isTerminal(session.state) || WAITING_STATES.has(session.state)) {
    await commit(() => ({ wantsWork: false }));
    return;
  }
  if (session.state === 'QUEUED') {
    record = await commit((r) => ({ state: transition(r.session.state, 'PLANNING') }));
  }

  // Workspace: the session's checkout, made once and kept across restarts.
  const workdir = join(deps.config.workspacesDir, sessionId);
  let baseCommitId: string;
  // Several workers share the store: steps carry workspace snapshots, so any worker can resume.
  let tracker: WorkspaceTracker | undefined;
  try {
    baseCommitId = await checkout(deps, record, workdir);
    if (store.capabilities.multiProcess) {
      const current = record;
      const { gitUrl } = await checkoutSource(deps, current);
      tracker = await WorkspaceTracker.open({
        store,
        sessionId,
        workdir,
        workspacesDir: deps.config.workspacesDir,
        baseCommitId,
        ...(gitUrl !== undefined ? { gitUrl } : {}),
        prepare: (base) => prepareSessionWorkspace(deps, current, base),
      });
      baseCommitId = tracker.baseCommitId;
    }
    if (readRunState(record.work.agentState).baseCommitId !== baseCommitId) {
      // The store keeps the base: a file in the checkout could be rewritten by the agent.
      const base = baseCommitId;
      record = await commit((r) => ({
        agentState: { ...readRunState(r.work.agentState), baseCommitId: base },
      }));
    }
  } catch (e) {
    signal.throwIfAborted();
    const reason = `Could not prepare the repository: ${(e as Error).message}`;
    await commit((r) => failChange(r, reason));
    return;
  }
  try {
    guard = await deps.security?.forSession(record.session, workdir);
  } catch (e) {
    signal.throwIfAborted();
    const reason = `Could not load the session's secrets: ${(e as Error).message}`;
    await commit((r) => failChange(r, reason));
    return;
  }

  let seenSeq = record.work.lastSeq;
  const ctx: AgentContext = {
    session: record.session,
    workdir,
    sandbox: guard ? guard.sandbox(deps.sandbox) : deps.sandbox,
    checkpoint: readRunState(record.work.agentState).checkpoint,
    plan: readRunState(record.work.agentState).plan,
    signal,
    limits: { commandTimeoutMs: deps.config.commandTimeoutMs, maxOutputBytes: deps.config.maxOutputBytes },
    takeMessages: async () => {
      const texts: string[] = [];
      for (;;) {
        const page = await store.listActivities(sessionId, { afterSeq: seenSeq, limit: 100 });
        for (const a of page) {
          seenSeq = a.seq;
          if (a.content.kind === 'userMessaged') texts.push(a.content.userMessage);
        }
        if (page.length < 100) return texts;
      }
    },
  };

  for await (const event of deps.agent.run(ctx) as AsyncIterable<AgentEvent>) {
    signal.throwIfAborted();
    const final =
      event.type === 'done'
        ? await collectChanges(deps, {
            record,
            workdir,
            baseCommitId,
            ...(event.commitMessage !== undefined ? { commitMessage: event.commitMessage } : {}),
            ...(event.summary !== undefined ? { summary: event.summary } : {}),
          })
        : undefined;
    const workspace = await tracker?.capture();
    let stop = false;
    record = await commit((r) => {
      // Paused, cancelled or deleted meanwhile: stop without recording the step (it replays on resume).
      if (r.session.state !== 'PLANNING' && r.session.state !== 'IN_PROGRESS') throw new SessionGone();
      const applied = applyEvent(r, event, {
        knownCount,
        seenSeq,
        bashOutputArtifacts: deps.config.bashOutputArtifacts,
        now: nowMicros(),
        ...(final ? { final } : {}),
      });
      stop = applied.stop;
      return workspace ? { ...applied.change, workspace } : applied.change;
    });
    tracker?.committed(workspace);
    if (stop) {
      if (isTerminal(record.session.state)) await tracker?.dispose();
      else await tracker?.markClean(false);
      await releaseSessionWorkspace(deps, record);
      return;
    }
    const overDisk = await guard?.checkDisk();
    if (overDisk) {
      await commit((r) => failChange(r, overDisk));
      return;
    }
  }
  // The agent ended its run without stopping (e.g. after planning): the next run may be elsewhere.
  await tracker?.markClean(true);
}

async function checkout(deps: RunnerDeps, record: SessionRecord, _workdir: string): Promise<string> {
  return prepareSessionWorkspace(deps, record);
}

/** Where the session's checkout comes from: its source's URL and branch (none: an empty repository). */
async function checkoutSource(
  deps: RunnerDeps,
  record: SessionRecord,
): Promise<{ gitUrl?: string; branch?: string }> {
  const ctx = record.session.sourceContext;
  if (!ctx) return {};
  const sourceId = parseSourceName(ctx.source);
  const source = sourceId ? await deps.repos.directory.find(record.session.tenantId, sourceId) : undefined;
  if (!source) throw new Error(`source ${ctx.source} is no longer available`);
  const branch = ctx.startingBranch ?? source.defaultBranch;
  return { gitUrl: source.gitUrl, ...(branch ? { branch } : {}) };
}

export function failChange(r: SessionRecord, reason: string): SessionChange {
  if (isTerminal(r.session.state)) return { wantsWork: false };
  const failed: NewActivity = { originator: 'system', content: { kind: 'sessionFailed', reason } };
  return {
    state: transition(r.session.state, 'FAILED'),
    wantsWork: false,
    resumeState: null,
    activities: [failed],
  };
}
