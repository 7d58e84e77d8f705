/** The /docs API reference: one self-contained HTML page rendered from the OpenAPI document (no scripts, no CDN). */
import { EVENT_TYPE_NAMES, WEBHOOK_EVENT_TYPES } from '../webhooks/event-types.ts';

// biome-ignore lint/suspicious/noExplicitAny: walks untyped JSON documents
type Json = Record<string, any>;

const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const anchor = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-');

function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop()!;
    return `<a href="#schema-${anchor(name)}">${esc(name)}</a>`;
  }
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`;
  if (schema.enum) return schema.enum.map((v: unknown) => `<code>${esc(v)}</code>`).join(' | ');
  if (schema.oneOf) return schema.oneOf.map(typeOf).join(' | ');
  return esc(schema.type ?? 'any');
}

function fields(schema: Json | undefined, depth = 0): string {
  if (!schema?.properties || depth > 3) return '';
  const required = new Set<string>(schema.required ?? []);
  const rows = Object.entries(schema.properties as Record<string, Json>).map(([name, s]) => {
    const nested = s.type === 'object' && s.properties ? fields(s, depth + 1) : '';
    return `<li><code>${esc(name)}</code>${required.has(name) ? ' <b>required</b>' : ''} <span class="t">${typeOf(s)}</span>${
      s.description ? ` — ${esc(s.description)}` : ''
    }${nested}</li>`;
  });
  return `<ul>${rows.join('')}</ul>`;
}

function operation(method: string, path: string, op: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  const ok = op.responses?.['200']?.content as Json | undefined;
  const [type, media] = Object.entries(ok ?? {})[0] ?? ['', {}];
  return `<section class="op" id="op-${anchor(op.operationId)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)}${op.security?.length === 0 ? ' <em>(no key needed)</em>' : ''}</p>
${op.description ? `<p>${esc(op.description)}</p>` : ''}
${params.length ? `<h4>Parameters</h4><ul>${params.map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) — ${esc(p.description)}</li>`).join('')}</ul>` : ''}
${body ? `<h4>Request body</h4>${fields(body) || '<p><code>{}</code></p>'}` : ''}
<h4>Response</h4><p>${esc(type)}: ${typeOf((media as Json).schema)}</p>
</section>`;
}

export function renderDocsPage(doc: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op as Json).tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operation(method, path, op as Json)]);
    }
  }
  const tags = (doc.tags as Json[]).filter((t) => byTag.has(t.name));
  const schemas = Object.entries(doc.components.schemas as Record<string, Json>)
    .map(
      ([name, s]) =>
        `<section id="schema-${anchor(name)}"><h3>${esc(name)}</h3>${s.description ? `<p>${esc(s.description)}</p>` : ''}${fields(s)}</section>`,
    )
    .join('');
  const events = EVENT_TYPE_NAMES.map(
    (t) => `<li><code>${esc(t)}</code> — ${esc(WEBHOOK_EVENT_TYPES[t])}</li>`,
  ).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:0 .2em;border-radius:3px}
.op{border-top:1px solid #e5e7eb;padding:.5rem 0}.m{font:bold 12px ui-monospace,monospace;padding:.1em .4em;border-radius:3px;color:#fff}
.get{background:#2563eb}.post{background:#059669}.patch{background:#d97706}.delete{background:#dc2626}
.t{color:#6b7280}h4{margin:.5rem 0 .2rem}nav a{margin-right:1rem}
</style></head><body>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)}</p>
<p>Base URL: <code>${esc(doc.servers?.[0]?.url ?? '')}</code> · machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p>
<nav>${tags.map((t) => `<a href="#tag-${anchor(t.name)}">${esc(t.name)}</a>`).join('')}<a href="#webhook-events">webhook events</a><a href="#schemas">schemas</a></nav>
<h2>Conventions</h2>
<ul>
<li>Errors are <code>{"error":{"code","message","status","details"}}</code>; a client's mistake is a 4xx naming the field.</li>
<li>Lists take <code>pageSize</code> (1–100) and <code>pageToken</code>; <code>nextPageToken</code> appears only when more remain.</li>
<li>POSTs take an <code>Idempotency-Key</code> header: a retry returns the first response (<code>Idempotent-Replayed: true</code>).</li>
<li>Streams are server-sent events: heartbeats are comment lines; reconnect with <code>Last-Event-ID</code> to resume with nothing lost or repeated.</li>
</ul>
${tags.map((t) => `<h2 id="tag-${anchor(t.name)}">${esc(t.name)}</h2><p>${esc(t.description)}</p>${byTag.get(t.name)!.join('')}`).join('')}
<h2 id="webhook-events">Webhook events</h2>
<p>Each delivery is a POST of <code>{"type","timestamp","data"}</code> signed per <a href="https://www.standardwebhooks.com">Standard Webhooks</a>
(headers <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>); verify it with any Standard Webhooks library and the endpoint's secret.
A 2xx answer is success; anything else is retried with exponential backoff for at least 24 hours. <code>webhook-id</code> is the same on every attempt: use it to drop duplicates.</p>
<ul>${events}</ul>
<h2 id="schemas">Schemas</h2>${schemas}
</body></html>`;
}
