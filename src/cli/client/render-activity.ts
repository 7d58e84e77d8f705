/** One activity as lines of text: plan as a numbered list, messages, progress, changes as a coloured diff. */
import type { Activity, Artifact } from './api-types.ts';
import { colorDiff, diffStat, statLines } from './diff.ts';
import { clock } from './format.ts';
import type { Style } from './terminal.ts';

export interface RenderOptions {
  style: Style;
  /** Lines of a diff to show (0 = all). */
  diffLines: number;
  /** Lines of a progress description (command output) to show. */
  detailLines: number;
}

const INDENT = ' '.repeat(10);

function block(text: string, maxLines: number, style: Style): string[] {
  const lines = text.replace(/\s+$/, '').split('\n');
  const shown = maxLines > 0 ? lines.slice(0, maxLines) : lines;
  const out = shown.map((l) => INDENT + style.dim(l));
  if (shown.length < lines.length)
    out.push(INDENT + style.dim(`… ${lines.length - shown.length} more lines`));
  return out;
}

/** First line after the label, the rest indented under it. */
function labelled(time: string, label: string, text: string): string[] {
  const [first = '', ...rest] = text.replace(/\s+$/, '').split('\n');
  return [`${time}  ${label}${first ? ` ${first}` : ''}`, ...rest.map((l) => INDENT + l)];
}

export function renderActivity(a: Activity, opts: RenderOptions): string[] {
  const { style } = opts;
  const time = style.dim(clock(a.createTime));
  const out: string[] = [];
  if (a.planGenerated) {
    const steps = [...(a.planGenerated.plan?.steps ?? [])].sort((x, y) => (x.index ?? 0) - (y.index ?? 0));
    out.push(`${time}  ${style.bold(`Plan (${steps.length} step${steps.length === 1 ? '' : 's'}):`)}`);
    steps.forEach((s, i) => {
      out.push(`${INDENT}${style.bold(`${i + 1}.`)} ${s.title}`);
      if (s.description && s.description !== s.title) out.push(`${INDENT}   ${style.dim(s.description)}`);
    });
  } else if (a.planApproved) {
    out.push(`${time}  ${style.green('Plan approved')}`);
  } else if (a.agentMessaged) {
    out.push(...labelled(time, style.magenta('Agent:'), a.agentMessaged.agentMessage));
  } else if (a.userMessaged) {
    out.push(...labelled(time, style.blue('You:'), a.userMessaged.userMessage));
  } else if (a.progressUpdated) {
    out.push(`${time}  ${style.cyan(a.progressUpdated.title || 'Progress')}`);
    const d = a.progressUpdated.description;
    if (d) out.push(...block(d, opts.detailLines, style));
  } else if (a.sessionCompleted) {
    out.push(`${time}  ${style.green(style.bold('Session completed'))}`);
  } else if (a.sessionFailed) {
    out.push(...labelled(time, style.red(style.bold('Session failed:')), a.sessionFailed.reason ?? ''));
  } else {
    out.push(`${time}  ${a.description ?? 'Activity'}`);
  }
  for (const art of a.artifacts ?? []) out.push(...renderArtifact(art, opts));
  return out;
}

function renderArtifact(art: Artifact, opts: RenderOptions): string[] {
  const { style } = opts;
  if (art.changeSet) {
    const patch = art.changeSet.gitPatch?.unidiffPatch ?? '';
    if (patch.trim() === '') return [`${INDENT}${style.dim('(no changes)')}`];
    return [
      ...statLines(diffStat(patch), style).map((l) => `${INDENT}${l}`),
      ...colorDiff(patch, style, opts.diffLines).map((l) => `${INDENT}${l}`),
    ];
  }
  if (art.bashOutput) {
    const b = art.bashOutput;
    const lines = [
      `${INDENT}${style.bold(`$ ${b.command ?? ''}`)}${b.exitCode ? style.red(` (exit ${b.exitCode})`) : ''}`,
    ];
    if (b.output) lines.push(...block(b.output, opts.detailLines, style));
    return lines;
  }
  if (art.media) {
    const bytes = Math.floor(((art.media.data ?? '').length * 3) / 4);
    return [`${INDENT}${style.dim(`[${art.media.mimeType ?? 'media'}, ${Math.ceil(bytes / 1024)} KiB]`)}`];
  }
  return [];
}
