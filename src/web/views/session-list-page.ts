/** The sessions list: filters (title, state, source, archived), a table with state badges, paging. */
import type { Session } from '../../domain/session.ts';
import { SESSION_STATES, type SessionState } from '../../domain/states.ts';
import { html } from '../html.ts';
import { excerpt, plural, STATE_LABELS, shortSource, stateBadge, timeTag } from './format.ts';
import { type Notice, page, type Viewer } from './layout.ts';

export interface ListFilter {
  q: string;
  state?: SessionState | undefined;
  source?: string | undefined;
  archived: boolean;
}

export interface SessionListView {
  viewer: Viewer;
  notice?: Notice | undefined;
  filter: ListFilter;
  sources: string[];
  sessions: Session[];
  /** Cursor of the next (older) page, when there is one. */
  next?: string | undefined;
  firstPage: boolean;
  /** True when a title search stopped scanning before the end: `next` continues it. */
  searchCut: boolean;
}

export function listQuery(f: ListFilter, cursor?: string): string {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.state) p.set('state', f.state);
  if (f.source) p.set('source', f.source);
  if (f.archived) p.set('archived', '1');
  if (cursor) p.set('cursor', cursor);
  const s = p.toString();
  return s ? `/sessions?${s}` : '/sessions';
}

function filters(v: SessionListView) {
  const f = v.filter;
  return html`<form class="filters card" method="get" action="/sessions" role="search" data-autosubmit aria-label="Filter sessions">
    <div class="field"><label for="q">Search titles</label>
      <input type="search" id="q" name="q" value="${f.q}" placeholder="e.g. greeting" maxlength="200"></div>
    <div class="field"><label for="state">State</label>
      <select id="state" name="state"><option value="">Any state</option>
        ${SESSION_STATES.map((s) => html`<option value="${s}"${f.state === s ? html` selected` : ''}>${STATE_LABELS[s]}</option>`)}
      </select></div>
    <div class="field"><label for="source">Source</label>
      <select id="source" name="source"><option value="">Any source</option>
        ${v.sources.map((s) => html`<option value="${s}"${f.source === s ? html` selected` : ''}>${shortSource(s)}</option>`)}
      </select></div>
    <div class="check"><input type="checkbox" id="archived" name="archived" value="1"${f.archived ? html` checked` : ''}>
      <label for="archived">Archived</label></div>
    <div class="form-actions"><button type="submit">Filter</button></div>
  </form>`;
}

function row(s: Session) {
  const src = s.sourceContext;
  return html`<tr>
    <td><a class="session-title" href="/sessions/${s.id}">${s.title || '(untitled)'}</a>
      ${excerpt(s.prompt) !== s.title ? html`<div class="excerpt">${excerpt(s.prompt)}</div>` : ''}</td>
    <td>${stateBadge(s.state)}${s.archived ? html` <span class="badge archived">Archived</span>` : ''}</td>
    <td>${src ? html`<span class="mono">${shortSource(src.source)}</span>${src.startingBranch ? html`<div class="excerpt">${src.startingBranch}</div>` : ''}` : html`<span class="muted">No repository</span>`}</td>
    <td>${timeTag(s.updateTime)}</td>
  </tr>`;
}

export function sessionListPage(v: SessionListView): string {
  const filtered = Boolean(v.filter.q || v.filter.state || v.filter.source || v.filter.archived);
  const table =
    v.sessions.length === 0
      ? html`<div class="empty">${
          filtered
            ? html`<p>No sessions match these filters.</p><p><a href="/sessions">Clear the filters</a></p>`
            : html`<p>No sessions yet.</p><p><a class="button primary" href="/sessions/new">Start a session</a></p>`
        }</div>`
      : html`<table class="sessions">
        <caption class="visually-hidden">${v.filter.archived ? 'Archived sessions' : 'Sessions'}, newest first</caption>
        <colgroup><col><col class="col-state"><col class="col-source"><col class="col-time"></colgroup>
        <thead><tr><th scope="col">Session</th><th scope="col">State</th><th scope="col">Source</th><th scope="col">Updated</th></tr></thead>
        <tbody>${v.sessions.map(row)}</tbody></table>`;
  const pager = html`<nav class="pager" aria-label="Pages">
    <span>${v.firstPage ? html`<span class="muted">${plural(v.sessions.length, 'session')}${v.next ? ' on this page' : ''}</span>` : html`<a href="${listQuery(v.filter)}">← Newest</a>`}</span>
    <span>${v.next ? html`<a class="button" href="${listQuery(v.filter, v.next)}" rel="next">${v.searchCut ? 'Search older sessions →' : 'Older →'}</a>` : ''}</span>
  </nav>`;
  return page({
    title: v.filter.archived ? 'Archived sessions' : 'Sessions',
    viewer: v.viewer,
    nav: 'sessions',
    notice: v.notice,
    body: html`<div class="page-head"><h1>${v.filter.archived ? 'Archived sessions' : 'Sessions'}</h1>
        <a class="button primary" href="/sessions/new">New session</a></div>
      ${filters(v)}
      <div class="card">${table}</div>
      ${v.searchCut ? html`<p class="muted">Only part of the history was searched; continue with “Search older sessions”.</p>` : ''}
      ${pager}`,
  });
}
