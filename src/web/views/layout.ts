/** The page shell: head, top bar (navigation, who is signed in, sign out) and the main landmark. */
import type { Principal } from '../../services/session-service.ts';
import { ICON, SCRIPT, STYLESHEET } from '../assets/index.ts';
import { html, type SafeHtml } from '../html.ts';

export interface Viewer {
  principal: Principal;
  csrf: string;
}

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export interface PageOptions {
  title: string;
  viewer?: Viewer;
  nav?: 'sessions' | 'new';
  notice?: Notice | undefined;
  body: SafeHtml;
}

export function noticeBox(notice: Notice | undefined): SafeHtml {
  if (!notice) return html``;
  return html`<div class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}"><p>${notice.text}</p></div>`;
}

function topbar(viewer: Viewer | undefined, nav: PageOptions['nav']): SafeHtml {
  const link = (href: string, label: string, key: PageOptions['nav']) =>
    html`<a href="${href}"${nav === key ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<header class="topbar"><div class="topbar-inner">
    <a class="brand" href="/sessions"><span class="brand-mark" aria-hidden="true"></span>Stint</a>
    ${
      viewer
        ? html`<nav class="topnav" aria-label="Main">${link('/sessions', 'Sessions', 'sessions')}${link('/sessions/new', 'New session', 'new')}</nav>
      <div class="who"><span>Tenant <strong>${viewer.principal.tenantId}</strong> · key <code>${viewer.principal.keyId}</code></span>
        <form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrf}">
          <button type="submit" class="link">Sign out</button></form></div>`
        : html`<span class="topnav"></span>`
    }
  </div></header>`;
}

export function page(opts: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>${opts.title} · Stint</title>
<link rel="icon" href="${ICON.path}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET.path}">
<script type="module" src="${SCRIPT.path}"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
${topbar(opts.viewer, opts.nav)}
<main id="main">
${noticeBox(opts.notice)}
${opts.body}
</main>
<div id="live-status" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>
`.toString();
}
