/**
 * How each agent event changes the session: a pure function from the locked
 * record to a SessionChange, so the activity, the state and the checkpoint
 * are committed together.
 */
import type { AgentEvent } from '../agents/agent.ts';
import type { Artifact, NewActivity, Output, Plan } from '../domain/activity.ts';
import { newOpaqueId } from '../domain/ids.ts';
import type { SessionState } from '../domain/states.ts';
import { transition } from '../domain/transitions.ts';
import type { SessionChange, SessionRecord, TranscriptEntry } from '../store/store.ts';
import type { FinalChanges } from './outputs.ts';

export interface EventContext {
  /** activityCount after the runner's previous write; more means the user wrote meanwhile. */
  knownCount: number;
  /** Seq of the last user message the agent has taken. */
  seenSeq: number;
  bashOutputArtifacts: boolean;
  now: number;
  /** The event's checkpoint as the transcript entry to append. */
  transcript?: TranscriptEntry;
  /** For `done`: the final outputs and activities, computed before the transaction. */
  final?: FinalChanges;
}

export interface Applied {
  change: SessionChange;
  /** Whether the runner stops driving the session after this event. */
  stop: boolean;
}

const agentSays = (text: string): NewActivity => ({
  originator: 'agent',
  content: { kind: 'agentMessaged', agentMessage: text },
});

export function applyEvent(current: SessionRecord, event: AgentEvent, ctx: EventContext): Applied {
  const { session, work } = current;
  const state = session.state;
  const base: SessionChange = { lastSeq: ctx.seenSeq };
  if (ctx.transcript) base.transcript = ctx.transcript;
  if (event.usage !== undefined) base.usage = event.usage;
  const userWroteMeanwhile = work.activityCount > ctx.knownCount;

  switch (event.type) {
    case 'checkpoint':
      return { change: base, stop: false };
    case 'message':
      return { change: { ...base, activities: [agentSays(event.text)] }, stop: false };
    case 'progress': {
      const artifacts: Artifact[] = [];
      if (event.bash && ctx.bashOutputArtifacts) artifacts.push({ bashOutput: event.bash });
      const activity: NewActivity = {
        originator: 'agent',
        content: { kind: 'progressUpdated', title: event.title, description: event.description ?? '' },
      };
      if (artifacts.length) activity.artifacts = artifacts;
      return { change: { ...base, activities: [activity] }, stop: false };
    }
    case 'plan': {
      const plan: Plan = {
        id: newOpaqueId(9),
        createTime: ctx.now,
        steps: event.steps.map((s, index) => ({
          id: `${index + 1}`,
          title: s.title,
          description: s.description ?? '',
          index,
        })),
      };
      base.plan = plan;
      const generated: NewActivity = { originator: 'agent', content: { kind: 'planGenerated', plan } };
      if (session.requirePlanApproval && state === 'PLANNING') {
        return {
          change: {
            ...base,
            state: transition(state, 'AWAITING_PLAN_APPROVAL'),
            wantsWork: false,
            activities: [generated],
          },
          stop: true,
        };
      }
      const approved: NewActivity = {
        originator: 'system',
        content: { kind: 'planApproved', planId: plan.id },
      };
      return {
        change: {
          ...base,
          state: state === 'IN_PROGRESS' ? state : transition(state, 'IN_PROGRESS'),
          activities: [generated, approved],
        },
        stop: false,
      };
    }
    case 'ask':
      if (userWroteMeanwhile) {
        // An answer may already be waiting: stay, and let the agent pick it up on its next run.
        return { change: { ...base, wantsWork: true, activities: [agentSays(event.question)] }, stop: true };
      }
      return {
        change: {
          ...base,
          state: transition(state, 'AWAITING_USER_FEEDBACK'),
          resumeState: state,
          wantsWork: false,
          activities: [agentSays(event.question)],
        },
        stop: true,
      };
    case 'pause':
      return {
        change: {
          ...base,
          state: transition(state, 'PAUSED'),
          resumeState: state,
          wantsWork: false,
          activities: [agentSays(event.reason)],
        },
        stop: true,
      };
    case 'fail':
      return {
        change: {
          ...base,
          state: transition(state, 'FAILED'),
          wantsWork: false,
          resumeState: null,
          activities: [{ originator: 'system', content: { kind: 'sessionFailed', reason: event.reason } }],
        },
        stop: true,
      };
    case 'done': {
      const final: FinalChanges = ctx.final ?? { outputs: session.outputs, activities: [] };
      const summary = event.summary === undefined ? [] : [agentSays(event.summary)];
      if (final.delivery) {
        // Publishing comes next, outside this transaction: record that it is pending, and finish
        // (complete, or go on for the user's new message) in the commit that records its result.
        const activities = [...summary, ...final.activities];
        return {
          change: {
            ...base,
            state: state === 'PLANNING' ? transition(state, 'IN_PROGRESS') : state,
            outputs: final.outputs,
            wantsWork: true,
            activities,
            delivery: {
              ...final.delivery,
              complete: !userWroteMeanwhile,
              activityCount: work.activityCount + activities.length,
            },
          },
          stop: true,
        };
      }
      if (userWroteMeanwhile) {
        return {
          change: {
            ...base,
            outputs: final.outputs,
            wantsWork: true,
            activities: [...summary, ...final.activities],
          },
          stop: true,
        };
      }
      const next: SessionState = transition(state === 'PLANNING' ? 'IN_PROGRESS' : state, 'COMPLETED');
      return {
        change: {
          ...base,
          state: next,
          outputs: final.outputs,
          wantsWork: false,
          resumeState: null,
          activities: [
            ...summary,
            ...final.activities,
            { originator: 'system', content: { kind: 'sessionCompleted' } },
          ],
        },
        stop: true,
      };
    }
  }
}

/**
 * The commit after delivery: records the pull request (or why publishing failed) and finishes what
 * the `done` commit began. Undefined: nothing to record (paused meanwhile: delivery runs again on
 * resume; or nothing was pending).
 */
export function applyDelivered(
  current: SessionRecord,
  result: { outputs: Output[]; activities: NewActivity[] },
): SessionChange | undefined {
  const pending = current.work.delivery;
  if (!pending) return undefined;
  const state = current.session.state;
  const recorded: SessionChange = { outputs: result.outputs, activities: result.activities, delivery: null };
  // Cancelled meanwhile: what was published exists; say so, and leave the session as it is.
  if (state === 'FAILED' || state === 'COMPLETED') return recorded;
  if (state !== 'IN_PROGRESS') return undefined;
  const userWroteMeanwhile = current.work.activityCount > pending.activityCount;
  if (!pending.complete || userWroteMeanwhile) return { ...recorded, wantsWork: true };
  return {
    ...recorded,
    state: transition(state, 'COMPLETED'),
    wantsWork: false,
    resumeState: null,
    activities: [...result.activities, { originator: 'system', content: { kind: 'sessionCompleted' } }],
  };
}
