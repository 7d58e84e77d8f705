/** Small shared pieces of markup: state badges, times, source names, counts. */
import type { SessionState } from '../../domain/states.ts';
import { formatTimestamp, type Micros } from '../../domain/time.ts';
import { html, type SafeHtml } from '../html.ts';

export const STATE_LABELS: Readonly<Record<SessionState, string>> = {
  QUEUED: 'Queued',
  PLANNING: 'Planning',
  AWAITING_PLAN_APPROVAL: 'Awaiting approval',
  AWAITING_USER_FEEDBACK: 'Awaiting reply',
  IN_PROGRESS: 'In progress',
  PAUSED: 'Paused',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
};

export function stateBadge(state: SessionState): SafeHtml {
  return html`<span class="badge state-${state}" title="${state}">${STATE_LABELS[state]}</span>`;
}

/** `2026-11-24 16:20 UTC`; the script shows it in the reader's time zone. */
export function timeTag(us: Micros, format: 'datetime' | 'time' = 'datetime'): SafeHtml {
  const iso = formatTimestamp(us);
  const text =
    format === 'time' ? `${iso.slice(11, 19)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return html`<time datetime="${iso}" data-local="${format}">${text}</time>`;
}

/** `sources/github/acme/widgets` -> `acme/widgets`. */
export function shortSource(name: string): string {
  const parts = name.split('/');
  return parts.length === 4 ? `${parts[2]}/${parts[3]}` : name.replace(/^sources\//, '');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `+12 −3` with colours and words for screen readers. */
export function counts(additions: number, deletions: number): SafeHtml {
  return html`<span class="count-add" aria-label="${plural(additions, 'addition')}">+${additions}</span>
    <span class="count-del" aria-label="${plural(deletions, 'deletion')}">−${deletions}</span>`;
}

/** Five blocks in proportion of additions to deletions, like GitHub's diffstat. */
export function diffstat(additions: number, deletions: number): SafeHtml {
  const total = additions + deletions;
  const a = total === 0 ? 0 : Math.round((additions / total) * 5);
  const d =
    total === 0 ? 0 : Math.min(5 - a, Math.max(deletions > 0 ? 1 : 0, Math.round((deletions / total) * 5)));
  const cells: SafeHtml[] = [];
  for (let i = 0; i < 5; i++) cells.push(html`<i class="${i < a ? 'a' : i < a + d ? 'd' : ''}"></i>`);
  return html`<span class="diffstat" aria-hidden="true">${cells}</span>`;
}

export function excerpt(text: string, max = 140): string {
  const flat = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
