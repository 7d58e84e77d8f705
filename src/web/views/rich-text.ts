/**
 * Messages as readable text: line breaks kept, ``` fenced blocks as code, `inline code`, and
 * http(s) links. Everything else is escaped text; no HTML from a message ever reaches the page.
 */
import { escapeHtml, html, raw, type SafeHtml } from '../html.ts';

const FENCE = /```[^\n`]*\n([\s\S]*?)(?:```|$)/g;
const INLINE = /`([^`\n]+)`|\bhttps?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]/g;

function inline(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    out += escapeHtml(text.slice(last, m.index));
    if (m[1] !== undefined) out += `<code>${escapeHtml(m[1])}</code>`;
    else {
      const url = escapeHtml(m[0]);
      out += `<a href="${url}" rel="noopener noreferrer nofollow" target="_blank">${url}</a>`;
    }
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}

export function richText(text: string): SafeHtml {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(FENCE)) {
    out += inline(text.slice(last, m.index).replace(/\n$/, ''));
    out += `<pre><code>${escapeHtml(m[1]!.replace(/\n$/, ''))}</code></pre>`;
    last = m.index + m[0].length;
    if (text[last] === '\n') last++;
  }
  out += inline(text.slice(last));
  return html`<div class="text">${raw(out)}</div>`;
}
