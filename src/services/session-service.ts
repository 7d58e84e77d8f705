/** Session use-cases shared by the API, the web UI and the CLI: validate, decide, commit, notify. */
import type { Agent } from '../agents/agent.ts';
import type { Activity, NewActivity } from '../domain/activity.ts';
import {
  type Decision,
  decideApprovePlan,
  decideCancel,
  decidePause,
  decideResume,
  decideUserMessage,
} from '../domain/commands.ts';
import { invalidArgument, notFound } from '../domain/errors.ts';
import { newSessionId } from '../domain/ids.ts';
import { isValidSessionId, parseSourceName } from '../domain/names.ts';
import type { Session, SourceContext } from '../domain/session.ts';
import type { AutomationMode } from '../domain/states.ts';
import { nowMicros } from '../domain/time.ts';
import { titleFromPrompt } from '../domain/title.ts';
import type { ActivityPage, SessionChange, SessionPage, SessionRecord, Store } from '../store/store.ts';
import { isSafeRefName } from '../workspace/refs.ts';
import type { SessionEvents } from './events.ts';
import type { SourceService } from './source-service.ts';

export interface CreateSessionInput {
  prompt: string;
  title?: string;
  source?: string;
  startingBranch?: string;
  workingBranch?: string;
  environmentVariablesEnabled?: boolean;
  requirePlanApproval?: boolean;
  automationMode?: AutomationMode;
}

export interface Principal {
  tenantId: string;
  keyId: string;
  role: 'admin' | 'member';
}

export interface SessionServiceLimits {
  maxPromptBytes: number;
}

export class SessionService {
  readonly #store: Store;
  readonly #sources: SourceService;
  readonly #agent: Agent;
  readonly #events: SessionEvents;
  readonly #limits: SessionServiceLimits;

  constructor(
    store: Store,
    sources: SourceService,
    agent: Agent,
    events: SessionEvents,
    limits: SessionServiceLimits,
  ) {
    this.#store = store;
    this.#sources = sources;
    this.#agent = agent;
    this.#events = events;
    this.#limits = limits;
  }

  async create(who: Principal, input: CreateSessionInput): Promise<Session> {
    if (input.prompt.trim() === '') throw invalidArgument('session.prompt must not be empty.');
    if (Buffer.byteLength(input.prompt) > this.#limits.maxPromptBytes) {
      throw invalidArgument(`session.prompt is longer than ${this.#limits.maxPromptBytes} bytes.`);
    }
    const info = this.#agent.inspectPrompt?.(input.prompt) ?? {};
    let sourceContext: SourceContext | undefined;
    if (input.source !== undefined) {
      const sourceId = parseSourceName(input.source);
      if (!sourceId) {
        throw invalidArgument(
          `sourceContext.source must be a source name like 'sources/github/OWNER/REPO'; got '${input.source}'.`,
        );
      }
      if (input.startingBranch !== undefined && !isSafeRefName(input.startingBranch)) {
        throw invalidArgument(
          `sourceContext.githubRepoContext.startingBranch is not a valid branch name: '${input.startingBranch}'.`,
        );
      }
      const view = await this.#sources.get(who.tenantId, sourceId);
      const branch = input.startingBranch ?? view.defaultBranch;
      // A default branch comes from the remote, which could advertise anything.
      if (branch !== undefined && !isSafeRefName(branch)) {
        throw invalidArgument(`${view.name} has a default branch Stint refuses to use: '${branch}'.`);
      }
      await this.#sources.requireBranch(view, branch);
      sourceContext = { source: view.name };
      if (branch !== undefined) sourceContext.startingBranch = branch;
      if (input.workingBranch !== undefined) {
        if (!isSafeRefName(input.workingBranch)) {
          throw invalidArgument(
            `sourceContext.workingBranch is not a valid branch name: '${input.workingBranch}'.`,
          );
        }
        if (input.workingBranch === branch) {
          throw invalidArgument(
            `sourceContext.workingBranch must differ from the starting branch '${branch}': the work is pushed there and reviewed against it.`,
          );
        }
        sourceContext.workingBranch = input.workingBranch;
      }
      if (input.environmentVariablesEnabled !== undefined) {
        sourceContext.environmentVariablesEnabled = input.environmentVariablesEnabled;
      }
    } else if (input.startingBranch !== undefined) {
      throw invalidArgument('sourceContext.source is required when a starting branch is given.');
    }
    const now = nowMicros();
    const session: Session = {
      id: newSessionId(),
      tenantId: who.tenantId,
      prompt: input.prompt,
      title: input.title ?? info.title ?? titleFromPrompt(input.prompt),
      requirePlanApproval: input.requirePlanApproval ?? false,
      automationMode: input.automationMode ?? 'AUTOMATION_MODE_UNSPECIFIED',
      state: 'QUEUED',
      archived: false,
      outputs: [],
      createTime: now,
      updateTime: now,
    };
    if (sourceContext) session.sourceContext = sourceContext;
    const record = await this.#store.createSession(session, { wantsWork: true }, []);
    this.#events.emitChanged({ session: record.session, activities: [] });
    this.#events.emitWork(session.id);
    return record.session;
  }

  async get(who: Principal, id: string): Promise<Session> {
    return (await this.#find(who, id)).session;
  }

  list(who: Principal, page: Omit<SessionPage, 'limit'> & { limit: number }): Promise<Session[]> {
    return this.#store.listSessions(who.tenantId, page);
  }

  async delete(who: Principal, id: string): Promise<void> {
    if (!isValidSessionId(id) || !(await this.#store.deleteSession(id, who.tenantId)))
      throw this.#notFound(id);
    this.#events.emitStopped(id);
  }

  async setArchived(who: Principal, id: string, archived: boolean): Promise<Session> {
    return (await this.#mutate(who, id, () => ({ archived }))).session;
  }

  async approvePlan(who: Principal, id: string): Promise<void> {
    await this.#mutate(who, id, (r) => {
      const d = decideApprovePlan(r.session.state);
      const planId = r.work.plan?.id ?? '';
      return this.#apply(d, [{ originator: 'user', content: { kind: 'planApproved', planId } }]);
    });
  }

  async sendMessage(who: Principal, id: string, prompt: string): Promise<void> {
    if (prompt.trim() === '') throw invalidArgument('prompt must not be empty.');
    if (Buffer.byteLength(prompt) > this.#limits.maxPromptBytes) {
      throw invalidArgument(`prompt is longer than ${this.#limits.maxPromptBytes} bytes.`);
    }
    await this.#mutate(who, id, (r) =>
      this.#apply(decideUserMessage(r.session.state, r.work.resumeState), [
        { originator: 'user', content: { kind: 'userMessaged', userMessage: prompt } },
      ]),
    );
  }

  async pause(who: Principal, id: string): Promise<Session> {
    const rec = await this.#mutate(who, id, (r) => this.#apply(decidePause(r.session.state), []));
    this.#events.emitStopped(id); // the agent stops at its next step and resumes from its checkpoint
    return rec.session;
  }

  async resume(who: Principal, id: string): Promise<Session> {
    return (
      await this.#mutate(who, id, (r) => this.#apply(decideResume(r.session.state, r.work.resumeState), []))
    ).session;
  }

  async cancel(who: Principal, id: string): Promise<Session> {
    const rec = await this.#mutate(who, id, (r) =>
      this.#apply(decideCancel(r.session.state), [
        // The session ends FAILED like any failure: recorded by the system, reason exactly "cancelled".
        {
          originator: 'system',
          description: 'Cancelled by the user.',
          content: { kind: 'sessionFailed', reason: 'cancelled' },
        },
      ]),
    );
    this.#events.emitStopped(id); // stops the agent
    return rec.session;
  }

  async listActivities(who: Principal, id: string, page: ActivityPage): Promise<Activity[]> {
    await this.#find(who, id);
    return this.#store.listActivities(id, page);
  }

  async getActivity(who: Principal, id: string, activityId: string): Promise<Activity> {
    await this.#find(who, id);
    const a = await this.#store.getActivity(id, activityId);
    if (!a) throw notFound(`Activity 'sessions/${id}/activities/${activityId}' was not found.`);
    return a;
  }

  async #find(who: Principal, id: string): Promise<SessionRecord> {
    const rec = isValidSessionId(id) ? await this.#store.getSession(id, who.tenantId) : undefined;
    if (!rec) throw this.#notFound(id);
    return rec;
  }

  #notFound(id: string) {
    return notFound(`Session 'sessions/${id}' was not found.`);
  }

  #apply(d: Decision, activities: NewActivity[]): SessionChange {
    const change: SessionChange = { state: d.state, activities };
    if (d.wantsWork !== undefined) change.wantsWork = d.wantsWork;
    if (d.resumeState !== undefined) change.resumeState = d.resumeState;
    return change;
  }

  async #mutate(
    who: Principal,
    id: string,
    decide: (r: SessionRecord) => SessionChange,
  ): Promise<SessionRecord> {
    if (!isValidSessionId(id)) throw this.#notFound(id);
    const res = await this.#store.mutateSession(id, (r) => ({ change: decide(r) }), {
      tenantId: who.tenantId,
    });
    if (!res) throw this.#notFound(id);
    this.#events.emitChanged({ session: res.record.session, activities: res.activities });
    if (res.record.work.wantsWork) this.#events.emitWork(id);
    return res.record;
  }
}
