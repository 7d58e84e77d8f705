/** Mapping between rows and domain records. */
import type { Selectable } from 'kysely';
import {
  ACTIVITY_PAYLOAD_VERSION,
  type Activity,
  type ActivityContent,
  type Artifact,
  type NewActivity,
  type Originator,
} from '../../domain/activity.ts';
import type { Session, SessionWork } from '../../domain/session.ts';
import type { AutomationMode, SessionState } from '../../domain/states.ts';
import type { ApiKeyRecord, KeyRole, SessionRecord, SourceRecord } from '../store.ts';
import type { ActivitiesTable, ApiKeysTable, SessionsTable, SourcesTable } from './schema.ts';

export function sessionToRow(s: Session, work: Partial<SessionWork>): SessionsTable {
  return {
    id: s.id,
    tenant_id: s.tenantId,
    prompt: s.prompt,
    title: s.title,
    source: s.sourceContext?.source ?? null,
    starting_branch: s.sourceContext?.startingBranch ?? null,
    working_branch: s.sourceContext?.workingBranch ?? null,
    environment_variables_enabled:
      s.sourceContext?.environmentVariablesEnabled === undefined
        ? null
        : s.sourceContext.environmentVariablesEnabled
          ? 1
          : 0,
    require_plan_approval: s.requirePlanApproval ? 1 : 0,
    automation_mode: s.automationMode,
    state: s.state,
    archived: s.archived ? 1 : 0,
    outputs: JSON.stringify(s.outputs),
    create_time: s.createTime,
    update_time: s.updateTime,
    wants_work: work.wantsWork ? 1 : 0,
    resume_state: work.resumeState ?? null,
    agent_state: null,
    last_seq: work.lastSeq ?? 0,
    activity_count: 0,
    last_activity_time: work.lastActivityTime ?? 0,
    lease_owner: null,
    lease_expires_at: null,
    lease_epoch: 0,
    usage: s.usage === undefined ? null : JSON.stringify(s.usage),
    pending_delivery: work.delivery === undefined ? null : JSON.stringify(work.delivery),
    attempts: 0,
    run_at: null,
    last_error: null,
    slot: 0,
    plan: work.plan === undefined ? null : JSON.stringify(work.plan),
    base_commit_id: work.baseCommitId ?? null,
  };
}

export function rowToSession(r: Selectable<SessionsTable>): Session {
  const session: Session = {
    id: r.id,
    tenantId: r.tenant_id,
    prompt: r.prompt,
    title: r.title,
    requirePlanApproval: Number(r.require_plan_approval) === 1,
    automationMode: r.automation_mode as AutomationMode,
    state: r.state as SessionState,
    archived: Number(r.archived) === 1,
    outputs: JSON.parse(r.outputs),
    createTime: Number(r.create_time),
    updateTime: Number(r.update_time),
  };
  if (r.usage !== null && r.usage !== undefined) session.usage = JSON.parse(r.usage);
  if (r.source !== null) {
    session.sourceContext = { source: r.source };
    if (r.starting_branch !== null) session.sourceContext.startingBranch = r.starting_branch;
    if (r.working_branch != null) session.sourceContext.workingBranch = r.working_branch;
    if (r.environment_variables_enabled != null) {
      session.sourceContext.environmentVariablesEnabled = Number(r.environment_variables_enabled) === 1;
    }
  }
  return session;
}

export function rowToRecord(r: Selectable<SessionsTable>): SessionRecord {
  const work: SessionWork = {
    wantsWork: Number(r.wants_work) === 1,
    lastSeq: Number(r.last_seq),
    activityCount: Number(r.activity_count),
    lastActivityTime: Number(r.last_activity_time),
    attempts: Number(r.attempts ?? 0),
  };
  if (r.last_error !== null && r.last_error !== undefined) work.lastError = r.last_error;
  if (r.resume_state !== null) work.resumeState = r.resume_state as SessionState;
  if (r.base_commit_id != null) work.baseCommitId = r.base_commit_id;
  // Never the transcript (session_turns): only the agent that resumes the session reads that.
  if (r.plan !== null && r.plan !== undefined) work.plan = JSON.parse(r.plan);
  if (r.pending_delivery !== null && r.pending_delivery !== undefined) {
    work.delivery = JSON.parse(r.pending_delivery);
  }
  return { session: rowToSession(r), work };
}

interface ActivityBody {
  v: number;
  description?: string;
  content: ActivityContent;
  artifacts: Artifact[];
}

export function activityBody(a: NewActivity): string {
  const body: ActivityBody = {
    v: ACTIVITY_PAYLOAD_VERSION,
    content: a.content,
    artifacts: a.artifacts ?? [],
  };
  if (a.description !== undefined) body.description = a.description;
  return JSON.stringify(body);
}

export function rowToActivity(r: Selectable<ActivitiesTable>): Activity {
  const body = JSON.parse(r.body) as ActivityBody;
  const a: Activity = {
    sessionId: r.session_id,
    seq: Number(r.seq),
    id: r.id,
    createTime: Number(r.create_time),
    originator: r.originator as Originator,
    content: body.content,
    artifacts: body.artifacts ?? [],
  };
  if (body.description !== undefined) a.description = body.description;
  return a;
}

export function rowToKey(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    hash: r.hash,
    role: r.role as KeyRole,
    createTime: Number(r.create_time),
    revoked: Number(r.revoked) === 1,
  };
}

export function rowToSource(r: Selectable<SourcesTable>): SourceRecord {
  const s: SourceRecord = {
    tenantId: r.tenant_id,
    id: r.id,
    gitUrl: r.git_url,
    isPrivate: Number(r.is_private) === 1,
    config: JSON.parse(r.config),
    createTime: Number(r.create_time),
  };
  if (r.default_branch !== null) s.defaultBranch = r.default_branch;
  return s;
}
