/** Words for a change set: the suggested commit message and the pull request's body. */
import type { Plan } from '../domain/activity.ts';
import type { ChangedFile } from '../workspace/patch.ts';

const MAX_LISTED_FILES = 30;
const MAX_SUBJECT = 72;
const MAX_PROMPT_IN_BODY = 4000;

export function describeFile(f: ChangedFile): string {
  switch (f.status) {
    case 'added':
      return `Add ${f.path}`;
    case 'deleted':
      return `Delete ${f.path}`;
    case 'renamed':
      return `Rename ${f.oldPath ?? '?'} to ${f.path}${f.additions + f.deletions > 0 ? ' (edited)' : ''}`;
    default:
      return `Update ${f.path}`;
  }
}

function fileList(files: readonly ChangedFile[]): string[] {
  const lines = files.slice(0, MAX_LISTED_FILES).map((f) => `- ${describeFile(f)}`);
  if (files.length > MAX_LISTED_FILES) lines.push(`- … and ${files.length - MAX_LISTED_FILES} more files`);
  return lines;
}

/** A subject line (the agent's message or the title, at most 72 characters) and a list of the files. */
export function suggestedCommitMessage(subject: string, files: readonly ChangedFile[]): string {
  const [first = '', ...rest] = subject.trim().split('\n');
  let line = first.trim() || 'Changes from a Stint session';
  if (line.length > MAX_SUBJECT) line = `${line.slice(0, MAX_SUBJECT - 1)}…`;
  const body = rest.join('\n').trim();
  if (body) return `${line}\n\n${body}\n`;
  return files.length > 0 ? `${line}\n\n${fileList(files).join('\n')}\n` : `${line}\n`;
}

export interface ReviewBodyInput {
  prompt: string;
  plan: Plan | undefined;
  summary: string | undefined;
  files: readonly ChangedFile[];
  sessionUrl: string;
}

/** The pull request's description: summary, task, plan and changed files, with a link back. */
export function reviewBody(input: ReviewBodyInput): string {
  const parts: string[] = [];
  if (input.summary?.trim()) parts.push(input.summary.trim());
  let prompt = input.prompt.trim();
  if (prompt.length > MAX_PROMPT_IN_BODY) prompt = `${prompt.slice(0, MAX_PROMPT_IN_BODY)}…`;
  parts.push(
    `## Task\n\n${prompt
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n')}`,
  );
  if (input.plan && input.plan.steps.length > 0) {
    const steps = input.plan.steps.map(
      (s, i) => `${i + 1}. ${s.title}${s.description ? ` — ${s.description.replace(/\s+/g, ' ')}` : ''}`,
    );
    parts.push(`## Plan\n\n${steps.join('\n')}`);
  }
  if (input.files.length > 0) parts.push(`## Changes\n\n${fileList(input.files).join('\n')}`);
  parts.push(`---\nMade by Stint session ${input.sessionUrl}`);
  return `${parts.join('\n\n')}\n`;
}
