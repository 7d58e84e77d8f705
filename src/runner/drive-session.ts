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
import type { SessionChange, SessionRecord } from '../store/store.ts';
import { prepareCheckout } from '../workspace/checkout.ts';
import { applyEvent } from './apply-event.ts';
import { collectChanges } from './outputs.ts';
import { readRunState } from './run-state.ts';
import type { RunnerDeps } from './runner-deps.ts';

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

  const commit = async (decide: (r: SessionRecord) => SessionChange): Promise<SessionRecord> => {
    const res = await store.mutateSession(sessionId, (r) => ({ change: decide(r) }), { leaseOwner: owner });
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
  try {
    baseCommitId = await checkout(deps, record, workdir);
  } catch (e) {
    signal.throwIfAborted();
    const reason = `Could not prepare the repository: ${(e as Error).message}`;
    await commit((r) => failChange(r, reason));
    return;
  }

  let seenSeq = record.work.lastSeq;
  const ctx: AgentContext = {
    session: record.session,
    workdir,
    sandbox: deps.sandbox,
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
        ? await collectChanges(
            record.session,
            workdir,
            baseCommitId,
            event.commitMessage ?? record.session.title,
          )
        : undefined;
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
      return applied.change;
    });
    if (stop) return;
  }
}

async function checkout(deps: RunnerDeps, record: SessionRecord, workdir: string): Promise<string> {
  const ctx = record.session.sourceContext;
  if (!ctx) return (await prepareCheckout({ dir: workdir })).baseCommitId;
  const sourceId = parseSourceName(ctx.source);
  const source = sourceId ? await deps.store.getSource(record.session.tenantId, sourceId) : undefined;
  if (!source) throw new Error(`source ${ctx.source} is no longer registered`);
  const branch = ctx.startingBranch ?? source.defaultBranch;
  return (await prepareCheckout({ dir: workdir, gitUrl: source.gitUrl, ...(branch ? { branch } : {}) }))
    .baseCommitId;
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
