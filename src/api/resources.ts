/** Domain records -> wire JSON of the v1alpha contract. */
import type { Activity, Artifact, Output, Plan } from '../domain/activity.ts';
import { activityName, sessionName } from '../domain/names.ts';
import type { Session } from '../domain/session.ts';
import { formatTimestamp } from '../domain/time.ts';
import type { SourceView } from '../services/source-service.ts';
import { sourceShape } from '../sources/source-shape.ts';

export function sessionResource(s: Session, baseUrl: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: sessionName(s.id),
    id: s.id,
    prompt: s.prompt,
    title: s.title,
  };
  if (s.sourceContext) {
    const ctx: Record<string, unknown> = { source: s.sourceContext.source };
    if (s.sourceContext.startingBranch !== undefined) {
      ctx.githubRepoContext = { startingBranch: s.sourceContext.startingBranch };
    }
    if (s.sourceContext.workingBranch !== undefined) ctx.workingBranch = s.sourceContext.workingBranch;
    if (s.sourceContext.environmentVariablesEnabled !== undefined) {
      ctx.environmentVariablesEnabled = s.sourceContext.environmentVariablesEnabled;
    }
    out.sourceContext = ctx;
  }
  out.requirePlanApproval = s.requirePlanApproval;
  out.automationMode = s.automationMode;
  out.createTime = formatTimestamp(s.createTime);
  out.updateTime = formatTimestamp(s.updateTime);
  out.state = s.state;
  out.url = `${baseUrl}/sessions/${s.id}`;
  out.outputs = s.outputs.map(outputResource);
  out.archived = s.archived;
  // Stint's addition (clients ignore unknown fields): the model tokens and cost spent so far.
  if (s.usage !== undefined) out.usage = s.usage;
  return out;
}

function outputResource(o: Output): unknown {
  return o;
}

function planResource(p: Plan) {
  return { id: p.id, steps: p.steps, createTime: formatTimestamp(p.createTime) };
}

export function activityResource(a: Activity): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: activityName(a.sessionId, a.id),
    id: a.id,
    createTime: formatTimestamp(a.createTime),
    originator: a.originator,
  };
  if (a.description !== undefined) out.description = a.description;
  const c = a.content;
  switch (c.kind) {
    case 'agentMessaged':
      out.agentMessaged = { agentMessage: c.agentMessage };
      break;
    case 'userMessaged':
      out.userMessaged = { userMessage: c.userMessage };
      break;
    case 'planGenerated':
      out.planGenerated = { plan: planResource(c.plan) };
      break;
    case 'planApproved':
      out.planApproved = { planId: c.planId };
      break;
    case 'progressUpdated':
      out.progressUpdated = { title: c.title, description: c.description };
      break;
    case 'sessionCompleted':
      out.sessionCompleted = {};
      break;
    case 'sessionFailed':
      out.sessionFailed = { reason: c.reason };
      break;
  }
  out.artifacts = a.artifacts.map(artifactResource);
  return out;
}

/**
 * Artifacts as both SDK generations read them: 0.2.0 reads `bashOutput.output` and
 * `media.mimeType`, 0.0.4 reads `bashOutput.stdout`/`stderr` and `media.format`. The sandbox
 * interleaves both streams into one, so `stdout` carries it all and `stderr` is empty.
 */
function artifactResource(a: Artifact): unknown {
  if ('bashOutput' in a) return { bashOutput: { ...a.bashOutput, stdout: a.bashOutput.output, stderr: '' } };
  if ('media' in a) return { media: { ...a.media, format: a.media.mimeType } };
  return a;
}

export function sourceResource(v: SourceView): Record<string, unknown> {
  return sourceShape({
    id: v.record.id,
    name: v.name,
    isPrivate: v.record.isPrivate,
    defaultBranch: v.defaultBranch,
    branches: v.branches,
    provider: v.provider,
  });
}
