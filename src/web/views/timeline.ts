/** One timeline entry per activity; the page and the live stream render them with the same function. */
import type { Activity, Artifact } from '../../domain/activity.ts';
import { html, type SafeHtml } from '../html.ts';
import { changeSummary } from './diff-view.ts';
import { timeTag } from './format.ts';
import { richText } from './rich-text.ts';

const WHO: Record<Activity['originator'], string> = { user: 'You', agent: 'Agent', system: 'Stint' };
const DOT: Record<Activity['originator'], string> = { user: 'U', agent: 'A', system: 'S' };
/** Descriptions longer than this many lines are folded. */
const FOLD_LINES = 8;
const MEDIA_TYPES = /^image\/(png|jpeg|gif|webp)$/;

function commandOutput(command: string, output: string, exitCode: number | undefined): SafeHtml {
  const exit =
    exitCode === undefined
      ? ''
      : html`<span class="exit${exitCode === 0 ? '' : ' bad'}">exit ${exitCode}</span>`;
  return html`<details class="output"><summary><span>Output of <code>${command}</code></span>${exit}</summary>
    <pre>${output === '' ? '(no output)' : output}</pre></details>`;
}

/** The scripted agent's "Ran CMD" progress: description is the output, then `exit code N`. */
function ranCommand(title: string, description: string): SafeHtml | undefined {
  if (!title.startsWith('Ran ')) return undefined;
  const m = /(?:^|\n)exit code (-?\d+)\s*$/.exec(description);
  const output = m ? description.slice(0, m.index) : description;
  return commandOutput(title.slice(4), output, m ? Number(m[1]) : undefined);
}

function description(text: string): SafeHtml {
  if (text === '') return html``;
  if (text.split('\n').length > FOLD_LINES) {
    return html`<details class="output"><summary>Details (${text.split('\n').length} lines)</summary><pre>${text}</pre></details>`;
  }
  return richText(text);
}

function artifact(a: Artifact): SafeHtml {
  if ('changeSet' in a) return changeSummary(a.changeSet);
  if ('bashOutput' in a)
    return commandOutput(a.bashOutput.command, a.bashOutput.output, a.bashOutput.exitCode);
  if (MEDIA_TYPES.test(a.media.mimeType) && /^[A-Za-z0-9+/=\s]*$/.test(a.media.data)) {
    return html`<img class="media" alt="Image from the agent" src="data:${a.media.mimeType};base64,${a.media.data.replace(/\s/g, '')}">`;
  }
  return html`<p class="muted">Attachment (${a.media.mimeType}) not shown.</p>`;
}

function body(a: Activity): { title: string; content: SafeHtml } {
  const c = a.content;
  switch (c.kind) {
    case 'agentMessaged':
      return { title: 'Message', content: richText(c.agentMessage) };
    case 'userMessaged':
      return { title: 'Message', content: richText(c.userMessage) };
    case 'planGenerated':
      return {
        title: `Plan · ${c.plan.steps.length} ${c.plan.steps.length === 1 ? 'step' : 'steps'}`,
        content: html`<ol class="plan-steps">${[...c.plan.steps]
          .sort((x, y) => x.index - y.index)
          .map(
            (s) =>
              html`<li><span>${s.title}</span>${s.description && s.description !== s.title ? html`<span class="step-desc">${s.description}</span>` : ''}</li>`,
          )}</ol>`,
      };
    case 'planApproved':
      return { title: 'Plan approved', content: html`` };
    case 'progressUpdated': {
      const hasBash = a.artifacts.some((x) => 'bashOutput' in x);
      const ran = hasBash ? undefined : ranCommand(c.title, c.description);
      return { title: c.title, content: ran ?? (hasBash ? html`` : description(c.description)) };
    }
    case 'sessionCompleted':
      return { title: 'Session completed', content: html`` };
    case 'sessionFailed':
      return { title: 'Session failed', content: richText(c.reason) };
  }
}

export function activityItem(a: Activity): SafeHtml {
  const { title, content } = body(a);
  const extra = a.description && a.content.kind !== 'progressUpdated' ? description(a.description) : html``;
  return html`<li class="activity by-${a.originator} kind-${a.content.kind}" id="activity-${a.id}" data-seq="${a.seq}">
    <span class="activity-dot" aria-hidden="true">${DOT[a.originator]}</span>
    <article class="activity-card" aria-label="${WHO[a.originator]}: ${title}">
      <header class="activity-head"><span class="activity-title">${title} <span class="activity-who">· ${WHO[a.originator]}</span></span>
        <span class="activity-time">${timeTag(a.createTime, 'time')}</span></header>
      <div class="activity-body">${content}${extra}${a.artifacts.map(artifact)}</div>
    </article></li>`;
}
