/** A session at its `url`: prompt and details, the live timeline, the plan/question panel, messages, the diff. */
import type { Activity } from '../../domain/activity.ts';
import type { Session } from '../../domain/session.ts';
import { isTerminal } from '../../domain/states.ts';
import { html } from '../html.ts';
import { shortSource, timeTag } from './format.ts';
import { type Notice, page, type Viewer } from './layout.ts';
import { richText } from './rich-text.ts';
import { type RegionName, type RenderedRegion, regionSlot } from './session-regions.ts';
import { activityItem } from './timeline.ts';

export interface SessionPageView {
  viewer: Viewer;
  session: Session;
  activities: Activity[];
  /** Activities not shown because the session has very many (the newest are streamed on). */
  omitted: number;
  regions: Record<RegionName, RenderedRegion>;
  apiName: string;
  notice?: Notice | undefined;
}

function details(s: Session, apiName: string) {
  const src = s.sourceContext;
  return html`<section class="card side-section" aria-labelledby="details-title"><h2 id="details-title">Details</h2>
    <dl class="meta">
      <dt>Repository</dt><dd>${src ? html`<span class="mono">${shortSource(src.source)}</span>` : html`<span class="muted">none (scratch)</span>`}</dd>
      ${src ? html`<dt>Branch</dt><dd class="mono">${src.startingBranch ?? 'default'}</dd>` : ''}
      <dt>Plan approval</dt><dd>${s.requirePlanApproval ? 'required' : 'automatic'}</dd>
      <dt>Pull request</dt><dd>${s.automationMode === 'AUTO_CREATE_PR' ? 'opened when done' : 'not requested'}</dd>
      <dt>Created</dt><dd>${timeTag(s.createTime)}</dd>
      <dt>API name</dt><dd class="mono">${apiName}</dd>
    </dl></section>`;
}

export function sessionPage(v: SessionPageView): string {
  const s = v.session;
  const last = v.activities[v.activities.length - 1];
  const r = v.regions;
  const promptLines = s.prompt.split('\n').length;
  return page({
    title: s.title || `Session ${s.id}`,
    viewer: v.viewer,
    notice: v.notice,
    body: html`<div data-live-session="${s.id}" data-after="${last?.seq ?? 0}" data-terminal="${isTerminal(s.state) ? 'true' : 'false'}">
      <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/sessions">Sessions</a> / <span class="mono">${s.id}</span></nav>
      <div class="session-head"><h1>${s.title || '(untitled)'}</h1>
        <div class="status-line">${regionSlot('status', r.status)}
          <span class="live-indicator" data-live-indicator data-status="idle" role="status">${isTerminal(s.state) ? 'Finished' : 'Reload for updates'}</span></div></div>
      <div class="session-layout">
        <div class="session-main">
          <details class="prompt card"${promptLines <= 12 ? html` open` : ''}><summary>Prompt</summary>
            <div class="prompt-text">${richText(s.prompt)}</div></details>
          <div class="section-title"><h2 id="timeline-title">Activity</h2></div>
          ${v.omitted > 0 ? html`<p class="muted">${v.omitted} earlier activities are not shown; read them with the API.</p>` : ''}
          <ol class="timeline" id="timeline" role="log" aria-labelledby="timeline-title">${v.activities.map(activityItem)}</ol>
          ${v.activities.length === 0 ? html`<p class="muted" id="timeline-empty">No activity yet.</p>` : ''}
          ${regionSlot('attention', r.attention)}
          ${regionSlot('composer', r.composer)}
        </div>
        <aside class="session-side" aria-label="Session details and actions">
          ${details(s, v.apiName)}
          ${regionSlot('controls', r.controls)}
        </aside>
      </div>
      ${regionSlot('outputs', r.outputs)}
    </div>`,
  });
}
