/**
 * The parts of a session page that change with its state. The page renders them once; the live stream
 * sends a region again whenever its markup changes (compared by `rev`), and the script swaps it in.
 */
import { createHash } from 'node:crypto';
import type { ChangeSet, PullRequest, PushedBranch } from '../../domain/activity.ts';
import type { Session } from '../../domain/session.ts';
import type { SessionState } from '../../domain/states.ts';
import { html, raw, type SafeHtml } from '../html.ts';
import { diffView } from './diff-view.ts';
import { stateBadge, timeTag } from './format.ts';
import { richText } from './rich-text.ts';

export const REGION_NAMES = ['status', 'attention', 'composer', 'controls', 'outputs'] as const;
export type RegionName = (typeof REGION_NAMES)[number];

export interface RegionContext {
  session: Session;
  csrf: string;
  /** From the session's sessionFailed activity, when known. */
  failureReason?: string | undefined;
}

export interface RenderedRegion {
  rev: string;
  html: string;
}

const PAUSABLE: ReadonlySet<SessionState> = new Set([
  'QUEUED',
  'PLANNING',
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'IN_PROGRESS',
]);

export const changeSetOf = (s: Session): ChangeSet | undefined =>
  s.outputs.flatMap((o) => ('changeSet' in o ? [o.changeSet] : []))[0];
export const pullRequestsOf = (s: Session): PullRequest[] =>
  s.outputs.flatMap((o) => ('pullRequest' in o ? [o.pullRequest] : []));
/** The branch AUTO_CREATE_PR pushed (Stint's `branch` member beside the change set). */
export const pushedBranchOf = (s: Session): PushedBranch | undefined =>
  s.outputs.flatMap((o) => ('branch' in o && o.branch ? [o.branch] : []))[0];

function branchLine(b: PushedBranch): SafeHtml {
  return html`<span class="pushed-branch">Pushed <code>${b.name}</code> at <code title="${b.commitId}">${b.commitId.slice(0, 12)}</code> to <code>${b.remote}</code></span>`;
}

function actionForm(ctx: RegionContext, verb: string, label: string, cls = ''): SafeHtml {
  return html`<form method="post" action="/sessions/${ctx.session.id}/${verb}">
    <input type="hidden" name="_csrf" value="${ctx.csrf}"><button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button></form>`;
}

function confirmForm(ctx: RegionContext, verb: string, label: string, question: string): SafeHtml {
  return html`<details class="confirm"><summary class="button danger" role="button">${label}…</summary>
    <div class="confirm-box"><p>${question}</p>${actionForm(ctx, verb, `Yes, ${label.toLowerCase()}`, 'danger')}</div></details>`;
}

function status(ctx: RegionContext): SafeHtml {
  const s = ctx.session;
  return html`${stateBadge(s.state)}${s.archived ? html` <span class="badge archived">Archived</span>` : ''}
    <span class="muted">Updated ${timeTag(s.updateTime)}</span>`;
}

function working(text: string): SafeHtml {
  return html`<div class="working"><span class="spinner" aria-hidden="true"></span>${text}</div>`;
}

function attention(ctx: RegionContext): SafeHtml {
  const s = ctx.session;
  switch (s.state) {
    case 'QUEUED':
      return working('Queued: waiting for a worker…');
    case 'PLANNING':
      return working('The agent is planning…');
    case 'IN_PROGRESS':
      return working('The agent is working…');
    case 'AWAITING_PLAN_APPROVAL':
      return html`<section class="attention warn" aria-labelledby="attention-title">
        <h2 id="attention-title">The plan is ready for your review</h2>
        <p>Read the plan above. Approving lets the agent start working; to change the plan, send a message instead.</p>
        ${actionForm(ctx, 'approve', 'Approve plan', 'primary')}</section>`;
    case 'AWAITING_USER_FEEDBACK':
      return html`<section class="attention warn" aria-labelledby="attention-title">
        <h2 id="attention-title">The agent is waiting for your reply</h2>
        <p>Answer its question above in the <a href="#message">message box</a>.</p></section>`;
    case 'PAUSED':
      return html`<section class="attention" aria-labelledby="attention-title">
        <h2 id="attention-title">Paused</h2><p>The agent stopped at a safe point. Resume to continue where it left off.</p>
        ${actionForm(ctx, 'resume', 'Resume', 'primary')}</section>`;
    case 'COMPLETED': {
      const prs = pullRequestsOf(s);
      const branch = pushedBranchOf(s);
      return html`<section class="attention ok" aria-labelledby="attention-title">
        <h2 id="attention-title">Session completed</h2>
        <p>${changeSetOf(s) ? html`Review the <a href="#changes">changes</a> below.` : 'The agent made no file changes.'}
          ${prs.map((pr) => html` Pull request: <a href="${pr.url}" rel="noopener noreferrer" target="_blank">${pr.title || pr.url}</a>.`)}
          ${branch ? html` ${branchLine(branch)}.` : ''}</p></section>`;
    }
    case 'FAILED':
      return html`<section class="attention error" aria-labelledby="attention-title">
        <h2 id="attention-title">Session failed</h2>
        ${ctx.failureReason ? richText(ctx.failureReason) : html`<p>See the last activity above for the reason.</p>`}</section>`;
  }
}

function composer(ctx: RegionContext): SafeHtml {
  const s = ctx.session;
  if (s.state === 'FAILED') return html``;
  const label =
    s.state === 'AWAITING_USER_FEEDBACK'
      ? 'Your reply'
      : s.state === 'COMPLETED'
        ? 'Follow-up message'
        : 'Message the agent';
  const hint =
    s.state === 'COMPLETED'
      ? 'A follow-up re-opens the session: the agent works on the same checkout again.'
      : s.state === 'AWAITING_USER_FEEDBACK'
        ? 'Your reply answers the question and lets the agent continue.'
        : 'The agent reads it at its next step.';
  return html`<form class="composer card" method="post" action="/sessions/${s.id}/message">
    <input type="hidden" name="_csrf" value="${ctx.csrf}">
    <div class="field"><label for="message">${label}</label>
      <textarea id="message" name="prompt" rows="3" required aria-describedby="message-hint"></textarea></div>
    <div class="form-actions"><p class="hint muted" id="message-hint">${hint} Ctrl+Enter sends.</p>
      <button type="submit" class="primary">Send</button></div></form>`;
}

function controls(ctx: RegionContext): SafeHtml {
  const s = ctx.session;
  const terminal = s.state === 'COMPLETED' || s.state === 'FAILED';
  const prs = pullRequestsOf(s);
  const branch = pushedBranchOf(s);
  return html`${
    prs.length > 0
      ? html`<section class="card side-section" aria-labelledby="pr-title"><h2 id="pr-title">Pull request</h2>
      <div class="pr-links">${prs.map((pr) => html`<a class="pr-link" href="${pr.url}" rel="noopener noreferrer" target="_blank"><strong>${pr.title || 'Pull request'}</strong><span>${pr.headRef} → ${pr.baseRef}</span></a>`)}</div></section>`
      : ''
  }${
    branch
      ? html`<section class="card side-section" aria-labelledby="branch-title"><h2 id="branch-title">Pushed branch</h2>
      <p>${branchLine(branch)}</p></section>`
      : ''
  }<section class="card side-section" aria-labelledby="actions-title"><h2 id="actions-title">Actions</h2>
    <div class="actions">
      ${PAUSABLE.has(s.state) ? actionForm(ctx, 'pause', 'Pause') : ''}
      ${s.state === 'PAUSED' ? actionForm(ctx, 'resume', 'Resume') : ''}
      ${changeSetOf(s) ? html`<a class="button" href="/sessions/${s.id}/patch" download>Download patch</a>` : ''}
      ${s.archived ? actionForm(ctx, 'unarchive', 'Unarchive') : actionForm(ctx, 'archive', 'Archive')}
      ${terminal ? '' : confirmForm(ctx, 'cancel', 'Cancel', 'Stop the agent? The session ends as FAILED (cancelled).')}
      ${confirmForm(ctx, 'delete', 'Delete', 'Delete this session and its activity for good?')}
    </div></section>`;
}

function outputs(ctx: RegionContext): SafeHtml {
  const cs = changeSetOf(ctx.session);
  return cs ? diffView(cs, `/sessions/${ctx.session.id}/patch`) : html``;
}

const RENDER: Record<RegionName, (ctx: RegionContext) => SafeHtml> = {
  status,
  attention,
  composer,
  controls,
  outputs,
};

export function renderRegion(name: RegionName, ctx: RegionContext): RenderedRegion {
  const text = RENDER[name](ctx).toString();
  return { rev: createHash('sha1').update(text).digest('base64url').slice(0, 12), html: text };
}

export function renderRegions(ctx: RegionContext): Record<RegionName, RenderedRegion> {
  const out = {} as Record<RegionName, RenderedRegion>;
  for (const name of REGION_NAMES) out[name] = renderRegion(name, ctx);
  return out;
}

/** The wrapper element a region lives in on the page. */
export function regionSlot(name: RegionName, r: RenderedRegion): SafeHtml {
  return html`<div data-region="${name}" data-rev="${r.rev}">${raw(r.html)}</div>`;
}
