/** A changeSet as a unified diff: a file index with +/− counts, then one collapsible table per file. */
import type { ChangeSet } from '../../domain/activity.ts';
import { type DiffFile, type DiffHunk, diffTotals, parseUnifiedDiff } from '../../domain/unified-diff.ts';
import { html, type SafeHtml } from '../html.ts';
import { counts, diffstat, plural } from './format.ts';

/** Lines rendered in one page; files beyond it are listed with a pointer to the patch download. */
const MAX_RENDERED_LINES = 20_000;
/** Files larger than this start collapsed. */
const COLLAPSE_LINES = 1_500;

const STATUS_LABEL: Record<DiffFile['status'], string> = {
  added: 'added',
  deleted: 'deleted',
  modified: 'modified',
  renamed: 'renamed',
  copied: 'copied',
};

function fileTitle(f: DiffFile): SafeHtml {
  if (
    (f.status === 'renamed' || f.status === 'copied') &&
    f.oldPath &&
    f.newPath &&
    f.oldPath !== f.newPath
  ) {
    return html`${f.oldPath} → ${f.newPath}`;
  }
  return html`${f.path}`;
}

function hunkRows(h: DiffHunk): SafeHtml[] {
  const rows: SafeHtml[] = [
    html`<tr class="hunk"><td class="ln"></td><td class="ln"></td><td class="code">@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@ ${h.section}</td></tr>`,
  ];
  for (const l of h.lines) {
    const mark = l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : l.kind === 'note' ? '' : ' ';
    rows.push(
      html`<tr class="${l.kind}"><td class="ln" data-n="${l.oldNo ?? ''}"></td><td class="ln" data-n="${l.newNo ?? ''}"></td><td class="code" data-mark="${mark}">${l.kind === 'note' ? `\\ ${l.text}` : l.text}</td></tr>`,
    );
  }
  return rows;
}

function lineCount(f: DiffFile): number {
  return f.hunks.reduce((n, h) => n + h.lines.length + 1, 0);
}

function fileBody(f: DiffFile, patchHref: string, budget: { left: number }): SafeHtml {
  const lines = lineCount(f);
  if (f.binary) return html`<p class="diff-note">Binary file ${STATUS_LABEL[f.status]}; not shown.</p>`;
  if (f.hunks.length === 0) {
    const mode = f.oldMode && f.newMode ? ` (mode ${f.oldMode} → ${f.newMode})` : '';
    return html`<p class="diff-note">No content changes${mode}.</p>`;
  }
  if (lines > budget.left) {
    return html`<p class="diff-note">This diff is too large to show here (${plural(lines, 'line')}).
      <a href="${patchHref}">Download the patch</a> to review it.</p>`;
  }
  budget.left -= lines;
  return html`<div class="diff-scroll"><table class="diff">
    <caption class="visually-hidden">Changes to ${f.path}</caption>
    <colgroup><col><col><col></colgroup>
    <tbody>${f.hunks.flatMap(hunkRows)}</tbody></table></div>`;
}

export function diffView(changeSet: ChangeSet, patchHref: string): SafeHtml {
  const patch = changeSet.gitPatch;
  const files = parseUnifiedDiff(patch.unidiffPatch);
  const totals = diffTotals(files);
  const budget = { left: MAX_RENDERED_LINES };
  const index = files.map(
    (f, i) => html`<li><a href="#diff-${i}">${fileTitle(f)}</a>
      <span class="nowrap">${f.binary ? html`<span class="muted">binary</span>` : counts(f.additions, f.deletions)}</span>
      ${diffstat(f.additions, f.deletions)}</li>`,
  );
  const sections = files.map(
    (
      f,
      i,
    ) => html`<details class="diff-file card" id="diff-${i}"${lineCount(f) <= COLLAPSE_LINES ? html` open` : ''}>
      <summary><span class="file-status ${f.status}">${STATUS_LABEL[f.status]}</span>
        <span class="path">${fileTitle(f)}</span>
        <span class="nowrap">${f.binary ? html`<span class="muted">binary</span>` : counts(f.additions, f.deletions)}</span></summary>
      ${fileBody(f, patchHref, budget)}
    </details>`,
  );
  return html`<section class="changes" id="changes" aria-labelledby="changes-title">
    <div class="section-title"><h2 id="changes-title">Changes</h2>
      <a class="button" href="${patchHref}" download>Download patch</a></div>
    <div class="diff-summary">
      <strong>${plural(totals.files, 'file')} changed</strong> ${counts(totals.additions, totals.deletions)}
      <span class="muted">base <code>${patch.baseCommitId.slice(0, 12) || 'none'}</code></span>
    </div>
    ${patch.suggestedCommitMessage ? html`<p class="patch-meta"><span>Suggested commit message: <code>${patch.suggestedCommitMessage.split('\n')[0]}</code></span></p>` : ''}
    ${files.length === 0 ? html`<p class="muted">No file changes.</p>` : html`<ul class="file-index card" aria-label="Changed files">${index}</ul>${sections}`}
  </section>`;
}

/** A compact summary for the timeline: files with counts and a link to the full diff. */
export function changeSummary(changeSet: ChangeSet): SafeHtml {
  const files = parseUnifiedDiff(changeSet.gitPatch.unidiffPatch);
  const t = diffTotals(files);
  const shown = files.slice(0, 12);
  return html`<div class="change-summary">
    <div><strong>${plural(t.files, 'file')} changed</strong> ${counts(t.additions, t.deletions)}
      · <a href="#changes">View the diff</a></div>
    <ul>${shown.map((f) => html`<li><span class="nowrap">${f.binary ? html`<span class="muted">bin</span>` : counts(f.additions, f.deletions)}</span> <span class="path">${f.path}</span></li>`)}</ul>
    ${files.length > shown.length ? html`<div class="muted">and ${plural(files.length - shown.length, 'more file')}</div>` : ''}
  </div>`;
}
