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
import type { GitRemote } from '../workspace/git-auth.ts';
import { applyDelivered, applyEvent } from './apply-event.ts';
import { feedsCommands } from './feed-sandbox.ts';
import { collectChanges, deliverPending } from './outputs.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { sessionSetup } from './session-setup.ts';
import { prepareSessionWorkspace, releaseSessionWorkspace } from './session-workspace.ts';
import { replayTranscript, TranscriptLog } from './transcript-log.ts';
import { WorkspaceTracker } from './workspace-tracker.ts';

export class SessionGone extends Error {}

const WORKING: ReadonlySet<string> = new Set(['PLANNING', 'IN_PROGRESS']);

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
  if (work.attempts > deps.config.maxAttempts && !isTerminal(session.state)) {
    // Every allowed attempt ended badly (here: their workers died); this claim is one too many.
    const reason = gaveUp(work.lastError ?? 'The session kept failing.', work.attempts - 1);
    await commit((r) => failChange(r, reason));
    return;
  }
  if (isTerminal(session.state) || WAITING_STATES.has(session.state)) {
    await commit(() => ({ wantsWork: false }));
    return;
  }
  if (record.work.delivery) {
    // The `done` commit is in but its outputs were not published (a crash, a pause, a lost lease).
    record = await deliverAndRecord(deps, commit, record);
    await releaseSessionWorkspace(deps, record);
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
      const remote = await sourceRemote(deps, current);
      tracker = await WorkspaceTracker.open({
        store,
        sessionId,
        workdir,
        workspacesDir: deps.config.workspacesDir,
        baseCommitId,
        ...(remote !== undefined ? { remote } : {}),
        prepare: (base) => prepareSessionWorkspace(deps, current, base),
      });
      baseCommitId = tracker.baseCommitId;
    }
    if (record.work.baseCommitId !== baseCommitId) {
      // The store keeps the base: a file in the checkout could be rewritten by the agent.
      const base = baseCommitId;
      record = await commit(() => ({ baseCommitId: base }));
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

  // The source's setup (or its cache), before the agent's first step.
  let setupFailed: string | undefined;
  try {
    setupFailed = await sessionSetup(deps, {
      record,
      workdir,
      guard,
      signal,
      post: async (activities) => {
        record = await commit((r) => {
          if (r.session.state !== 'PLANNING' && r.session.state !== 'IN_PROGRESS') throw new SessionGone();
          return { activities };
        });
      },
    });
  } catch (e) {
    signal.throwIfAborted();
    if (e instanceof SessionGone) throw e;
    setupFailed = `Setup could not run: ${(e as Error).message}`;
  }
  if (setupFailed !== undefined) {
    const reason = setupFailed;
    await commit((r) => failChange(r, reason));
    return;
  }

  let seenSeq = record.work.lastSeq;
  // Only here, for the agent that resumes, is the transcript read; session reads never touch it.
  const checkpoint = replayTranscript(await store.loadTranscript(sessionId));
  const transcript = new TranscriptLog(checkpoint);
  let ctx: AgentContext = {
    session: record.session,
    workdir,
    sandbox: feedsCommands(guard ? guard.sandbox(deps.sandbox) : deps.sandbox, workdir),
    checkpoint,
    plan: record.work.plan,
    signal,
    limits: { commandTimeoutMs: deps.config.commandTimeoutMs, maxOutputBytes: deps.config.maxOutputBytes },
    ...(guard ? { redact: guard.redact.bind(guard) } : {}),
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

  // An agent run that ends without stopping the session (a plan approved at once, for agents that
  // plan in a run of their own) is followed by the next run right here: same claim, same checkout.
  // Going back to the queue instead would start every queued session before any of them finished,
  // each holding a checkout of its own, and none would come back to the pool for the next.
  for (let run = 0; ; run++) {
    let committedSteps = 0;
    let lastCheckpoint: unknown;
    for await (const event of deps.agent.run(ctx) as AsyncIterable<AgentEvent>) {
      signal.throwIfAborted();
      const final =
        event.type === 'done'
          ? await collectChanges(deps, {
              record,
              workdir,
              baseCommitId,
              ...(guard ? { secrets: guard } : {}),
              ...(event.commitMessage !== undefined ? { commitMessage: event.commitMessage } : {}),
              ...(event.summary !== undefined ? { summary: event.summary } : {}),
            })
          : undefined;
      const workspace = await tracker?.capture();
      // The firewall report of the commands behind this event, committed just before it.
      const firewall = guard?.takeNetworkReports() ?? [];
      if (firewall.length > 0) {
        record = await commit((r) => (WORKING.has(r.session.state) ? { activities: firewall } : {}));
      }
      if (final) await deps.hooks?.beforeDoneCommit?.(sessionId);
      const entry = transcript.entry(event.checkpoint);
      let stop = false;
      record = await commit((r) => {
        // Paused, cancelled or deleted meanwhile: stop without recording the step (it replays on resume).
        if (r.session.state !== 'PLANNING' && r.session.state !== 'IN_PROGRESS') throw new SessionGone();
        const applied = applyEvent(r, event, {
          knownCount,
          seenSeq,
          bashOutputArtifacts: deps.config.bashOutputArtifacts,
          now: nowMicros(),
          transcript: entry,
          ...(final ? { final } : {}),
        });
        stop = applied.stop;
        return workspace ? { ...applied.change, workspace } : applied.change;
      });
      tracker?.committed(workspace);
      // Only now, fenced by the commit above, does anything leave the machine.
      if (record.work.delivery) record = await deliverAndRecord(deps, commit, record);
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
      committedSteps++;
      lastCheckpoint = event.checkpoint;
    }
    const state = record.session.state;
    const goOn = committedSteps > 0 && record.work.wantsWork && run < MAX_RUNS_PER_CLAIM;
    if (!goOn || (state !== 'PLANNING' && state !== 'IN_PROGRESS')) break;
    signal.throwIfAborted();
    // The agent works on a copy of what the store holds, as after a resume.
    ctx = {
      ...ctx,
      checkpoint: lastCheckpoint === undefined ? undefined : JSON.parse(JSON.stringify(lastCheckpoint)),
      plan: record.work.plan,
      session: record.session,
    };
  }
  // The agent ended its run without stopping: the next run may be elsewhere.
  await tracker?.markClean(true);
}

/** Agent runs in one claim (each must have committed a step); then the session goes back to the queue. */
const MAX_RUNS_PER_CLAIM = 8;

/** Publishes the pending delivery, then commits its result (the pull request) and what follows. */
async function deliverAndRecord(
  deps: RunnerDeps,
  commit: (decide: (r: SessionRecord) => SessionChange) => Promise<SessionRecord>,
  record: SessionRecord,
): Promise<SessionRecord> {
  const pending = record.work.delivery;
  if (!pending) return record;
  await deps.hooks?.beforeDelivery?.(record.session.id);
  const result = await deliverPending(deps, record, pending);
  return commit((r) => {
    const change = applyDelivered(r, result);
    if (!change) throw new SessionGone();
    return change;
  });
}

async function checkout(deps: RunnerDeps, record: SessionRecord, _workdir: string): Promise<string> {
  return prepareSessionWorkspace(deps, record);
}

/**
 * Where the session's checkout comes from: its source's remote (URL without credentials, and the
 * credential environment for git); none for an empty repository.
 */
async function sourceRemote(deps: RunnerDeps, record: SessionRecord): Promise<GitRemote | undefined> {
  const ctx = record.session.sourceContext;
  if (!ctx) return undefined;
  const sourceId = parseSourceName(ctx.source);
  const source = sourceId ? await deps.repos.directory.find(record.session.tenantId, sourceId) : undefined;
  if (!source) throw new Error(`source ${ctx.source} is no longer available`);
  return deps.repos.directory.providerFor(source).remote(source);
}

/** The sessionFailed reason once the attempts are used up: the last error, and how many there were. */
export function gaveUp(lastError: string, attempts: number): string {
  return `${lastError} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
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
