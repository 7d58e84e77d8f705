/** A page for an error status: not found (also another tenant's session), refused, failed. */
import { html } from '../html.ts';
import { page, type Viewer } from './layout.ts';

export function errorPage(opts: {
  status: number;
  title: string;
  message: string;
  viewer?: Viewer | undefined;
}): string {
  return page({
    title: opts.title,
    ...(opts.viewer ? { viewer: opts.viewer } : {}),
    body: html`<div class="narrow">
      <p class="muted">Error ${opts.status}</p>
      <h1>${opts.title}</h1>
      <p>${opts.message}</p>
      <p><a class="button" href="/sessions">Back to sessions</a></p>
    </div>`,
  });
}
