/**
 * The tools the model is offered, per phase. PLANNING offers only what reads (files, search, the
 * diff), asking the user and proposing the plan; IN_PROGRESS adds writing, editing, commands and
 * step reports. Definitions only: tool-executor.ts runs them.
 */
import { type ToolSet, tool } from 'ai';
import type { z } from 'zod';
import { TOOL_INPUTS, type ToolName } from './tool-schemas.ts';

export type Phase = 'planning' | 'working';

const DESCRIPTIONS: Record<ToolName, string> = {
  list_files:
    'List files and directories under a directory of the repository (default: its root), a few levels deep.',
  read_file:
    'Read a text file of the repository, with line numbers. Long files come in windows: pass offset to read on.',
  search_files:
    'Search the repository for lines matching a regular expression (JavaScript syntax); returns path:line: text.',
  git_status: 'List the files changed since the session started, with added/removed line counts.',
  git_diff: 'Show the diff of the changes made since the session started (optionally of one path).',
  ask_user:
    'Ask the user a question and wait for the answer. Use it only when you cannot proceed sensibly without it.',
  propose_plan:
    'Propose the plan for the task once you understand it: ordered steps, each with a short title and a description. Nothing is changed until the plan is approved.',
  start_step: 'Announce that you are starting a step of the approved plan (1-based number).',
  write_file: 'Create or overwrite a file with the given content (parent directories are created).',
  edit_file:
    'Replace an exact piece of text in a file. old_text must match the file exactly (whitespace included) and occur once, unless replace_all is true.',
  run_command:
    'Run a shell command (/bin/sh) in the repository root, e.g. tests or a build. Output is truncated when long; no interactive input.',
};

/** The SDK validates each call against the tool's zod schema and reports a bad one as invalid. */
function defs<N extends ToolName>(...names: N[]): ToolSet {
  return Object.fromEntries(
    names.map((name) => {
      const inputSchema: z.ZodType<Record<string, unknown>> = TOOL_INPUTS[name];
      return [name, tool({ description: DESCRIPTIONS[name], inputSchema })];
    }),
  );
}

const READ_TOOLS = defs('list_files', 'read_file', 'search_files', 'git_status', 'git_diff', 'ask_user');
const PLAN_TOOL = defs('propose_plan');
const WORK_TOOLS = defs('start_step', 'write_file', 'edit_file', 'run_command');

export const PLANNING_TOOLS: ToolSet = { ...READ_TOOLS, ...PLAN_TOOL };
export const WORKING_TOOLS: ToolSet = { ...READ_TOOLS, ...WORK_TOOLS };

export const READ_ONLY_TOOL_NAMES: ReadonlySet<string> = new Set(Object.keys(READ_TOOLS));

export function toolsFor(phase: Phase): ToolSet {
  return phase === 'planning' ? PLANNING_TOOLS : WORKING_TOOLS;
}
