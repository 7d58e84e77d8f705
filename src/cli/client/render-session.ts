/** `stint show`: one session for people. */
import type { Activity, Session } from './api-types.ts';
import { WAITING } from './api-types.ts';
import { colorDiff, diffStat, statLines } from './diff.ts';
import { age, sessionSource, stateLabel } from './format.ts';
import { sessionPatch } from './pull.ts';
import { renderActivity } from './render-activity.ts';
import type { Style } from './terminal.ts';
import { waitingHint } from './watch.ts';

export function renderSession(s: Session, activities: Activity[], style: Style, patchOnly: boolean): string {
  if (patchOnly) return colorDiff(sessionPatch(s).unidiffPatch ?? '', style).join('\n');
  const field = (name: string, value: string) => `  ${style.dim(name.padEnd(9))} ${value}`;
  const lines = [style.bold(s.title || s.id)];
  lines.push(field('id', s.id));
  lines.push(field('state', stateLabel(s.state, style) + (s.archived ? style.dim(' (archived)') : '')));
  lines.push(field('source', sessionSource(s)));
  lines.push(field('created', `${s.createTime} (${age(s.createTime)})`));
  if (s.updateTime) lines.push(field('updated', `${s.updateTime} (${age(s.updateTime)})`));
  lines.push(field('plan', s.requirePlanApproval ? 'needs your approval' : 'approved automatically'));
  if (s.automationMode === 'AUTO_CREATE_PR')
    lines.push(field('mode', 'opens a pull request (AUTO_CREATE_PR)'));
  if (s.url) lines.push(field('url', s.url));
  lines.push('', style.bold('Prompt'));
  const prompt = s.prompt.replace(/\s+$/, '').split('\n');
  lines.push(...prompt.slice(0, 30).map((l) => `  ${l}`));
  if (prompt.length > 30)
    lines.push(style.dim(`  … ${prompt.length - 30} more lines (stint show ${s.id} --json)`));

  const outputs = s.outputs ?? [];
  if (outputs.length > 0) {
    lines.push('', style.bold('Outputs'));
    for (const o of outputs) {
      if (o.pullRequest)
        lines.push(
          `  Pull request: ${o.pullRequest.url}${o.pullRequest.headRef ? ` (${o.pullRequest.headRef})` : ''}`,
        );
      if (o.branch?.name)
        lines.push(`  Pushed branch: ${o.branch.name} at ${(o.branch.commitId ?? '').slice(0, 12)}`);
      const patch = o.changeSet?.gitPatch;
      if (patch?.unidiffPatch) {
        const files = diffStat(patch.unidiffPatch);
        lines.push(
          `  Changes (on ${(patch.baseCommitId ?? '').slice(0, 12) || 'the base'}): ${files.length} file${files.length === 1 ? '' : 's'}`,
        );
        lines.push(...statLines(files, style).map((l) => `    ${l}`));
        if (patch.suggestedCommitMessage)
          lines.push(`  Commit message: ${patch.suggestedCommitMessage.split('\n')[0]}`);
        lines.push(
          style.dim(`  See the diff: stint show ${s.id} --patch   Apply it here: stint pull ${s.id}`),
        );
      }
    }
  }
  const recent = activities.slice(-3);
  if (recent.length > 0) {
    lines.push('', style.bold(`Latest activity (${activities.length} in all; stint watch ${s.id})`));
    for (const a of recent) lines.push(...renderActivity(a, { style, diffLines: 20, detailLines: 10 }));
  }
  if (WAITING.has(s.state)) lines.push('', style.yellow(waitingHint(s)));
  return lines.join('\n');
}
