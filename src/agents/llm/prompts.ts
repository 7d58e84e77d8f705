/** What the LLM agent tells the model: the system prompt per phase and its standard messages. */
import type { Session } from '../../domain/session.ts';
import type { AgentPhase } from './checkpoint.ts';
import type { PlanStepInput } from './tool-executor.ts';

export function systemPrompt(
  session: Session,
  phase: AgentPhase,
  plan: PlanStepInput[] | undefined,
  instructions?: string,
): string {
  const repo = session.sourceContext
    ? `You work in a checkout of ${session.sourceContext.source.replace(/^sources\//, '')}` +
      `${session.sourceContext.startingBranch ? ` at branch ${session.sourceContext.startingBranch}` : ''}.`
    : 'You work in an empty git repository (the task has no source repository).';
  const lines = [
    'You are Stint, an autonomous software engineering agent. The user gave you the task in the first message.',
    repo,
    'All paths are relative to the repository root. Your changes are collected as a patch when you finish; do not commit.',
    'Use the tools to look at the code rather than guessing. Keep replies short and concrete.',
  ];
  if (phase === 'planning') {
    lines.push(
      '',
      'PHASE: PLANNING. You can only read (list_files, read_file, search_files, git_status, git_diff) and ask_user.',
      'Explore just enough to understand the task, then call propose_plan with ordered steps (a short title and a description each).',
      'Nothing may change in the repository until the plan is approved.',
    );
  } else {
    lines.push('', 'PHASE: WORKING. The plan is approved; carry it out.');
    if (plan && plan.length > 0) {
      lines.push(
        'The plan:',
        ...plan.map((s, i) => `${i + 1}. ${s.title}${s.description ? ` — ${s.description}` : ''}`),
      );
    }
    lines.push(
      'Call start_step when you begin each step. Change files with write_file or edit_file (exact text replacement),',
      'run commands such as tests with run_command, check your work with git_diff.',
      'Use ask_user only when you cannot go on without the answer.',
      'When the task is done, reply with your final answer to the user — what you changed and anything they should know — without calling a tool.',
    );
  }
  if (instructions !== undefined) {
    lines.push(
      '',
      'REPOSITORY INSTRUCTIONS (AGENTS.md at the repository root). Follow them; an AGENTS.md in a subdirectory, shown to you when you work there, takes precedence for the files under it:',
      instructions,
    );
  }
  return lines.join('\n');
}

export function approvedResult(byUser: boolean): string {
  return (
    `The plan was approved${byUser ? ' by the user' : ' automatically'}. Carry it out now, step by step: ` +
    'call start_step before each step, then make the changes. When everything is done, reply with a short ' +
    'summary for the user without calling a tool.'
  );
}

export function userMessages(texts: string[]): string {
  return texts.length === 1
    ? `Message from the user:\n${texts[0]}`
    : `Messages from the user:\n${texts.map((t, i) => `(${i + 1}) ${t}`).join('\n')}`;
}

export const NUDGE_PLAN =
  'Please call propose_plan with the steps you will take (or ask_user if something essential is unclear). ' +
  'If the request needs no changes at all, answer it directly in plain text.';

export const NUDGE_EMPTY = 'Your reply was empty. Continue with the task, or reply with your final answer.';

export function loopNudge(tool: string): string {
  return (
    `You have called ${tool} with the same arguments and got the same result several times. ` +
    'This looks like a loop: try a different approach, or use ask_user if you are stuck.'
  );
}

export const NO_ANSWER = '(The user resumed the session without answering.)';
