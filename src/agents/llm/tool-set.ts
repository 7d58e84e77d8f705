/**
 * The tools the model is offered, per phase. PLANNING offers only what reads (files, search, the
 * diff), asking the user and proposing the plan; IN_PROGRESS adds writing, editing, commands and
 * step reports. Definitions only: tool-executor.ts runs them.
 */
import { jsonSchema, type ToolSet, tool } from 'ai';

export type Phase = 'planning' | 'working';

const str = (description: string) => ({ type: 'string', description }) as const;
const int = (description: string) => ({ type: 'integer', description }) as const;

function def(description: string, properties: Record<string, unknown>, required: string[] = []) {
  return tool({
    description,
    inputSchema: jsonSchema({ type: 'object', properties, required, additionalProperties: false }),
  });
}

const READ_TOOLS = {
  list_files: def(
    'List files and directories under a directory of the repository (default: its root), a few levels deep.',
    {
      path: str('Directory relative to the repository root; default "."'),
      depth: int('Levels to descend, 1-10; default 3'),
    },
  ),
  read_file: def(
    'Read a text file of the repository, with line numbers. Long files come in windows: pass offset to read on.',
    {
      path: str('File path relative to the repository root'),
      offset: int('First line to read, 1-based; default 1'),
      limit: int('Number of lines to read; default 2000'),
    },
    ['path'],
  ),
  search_files: def(
    'Search the repository for lines matching a regular expression (JavaScript syntax); returns path:line: text.',
    {
      pattern: str('Regular expression, or literal text when literal is true'),
      path: str('Only search this directory or file; default the whole repository'),
      literal: { type: 'boolean', description: 'Treat pattern as plain text' },
      case_insensitive: { type: 'boolean', description: 'Ignore case' },
    },
    ['pattern'],
  ),
  git_status: def('List the files changed since the session started, with added/removed line counts.', {}),
  git_diff: def('Show the diff of the changes made since the session started (optionally of one path).', {
    path: str('Only this file or directory'),
  }),
  ask_user: def(
    'Ask the user a question and wait for the answer. Use it only when you cannot proceed sensibly without it.',
    { question: str('The question, self-contained') },
    ['question'],
  ),
};

const PLAN_TOOL = {
  propose_plan: def(
    'Propose the plan for the task once you understand it: ordered steps, each with a short title and a description. Nothing is changed until the plan is approved.',
    {
      steps: {
        type: 'array',
        minItems: 1,
        maxItems: 30,
        description: 'The steps, in order',
        items: {
          type: 'object',
          properties: {
            title: str('Short imperative title, e.g. "Add input validation"'),
            description: str('What the step does and why'),
          },
          required: ['title'],
          additionalProperties: false,
        },
      },
    },
    ['steps'],
  ),
};

const WORK_TOOLS = {
  start_step: def(
    'Announce that you are starting a step of the approved plan (1-based number).',
    {
      step: int('Step number, 1-based'),
      note: str('Optional: what you are about to do'),
    },
    ['step'],
  ),
  write_file: def(
    'Create or overwrite a file with the given content (parent directories are created).',
    { path: str('File path relative to the repository root'), content: str('The complete new content') },
    ['path', 'content'],
  ),
  edit_file: def(
    'Replace an exact piece of text in a file. old_text must match the file exactly (whitespace included) and occur once, unless replace_all is true.',
    {
      path: str('File path relative to the repository root'),
      old_text: str('Exact text to replace'),
      new_text: str('Replacement text'),
      replace_all: { type: 'boolean', description: 'Replace every occurrence' },
    },
    ['path', 'old_text', 'new_text'],
  ),
  run_command: def(
    'Run a shell command (/bin/sh) in the repository root, e.g. tests or a build. Output is truncated when long; no interactive input.',
    {
      command: str('The command line'),
      timeout_seconds: int('Give up after this many seconds (capped by the server limit)'),
    },
    ['command'],
  ),
};

export const PLANNING_TOOLS: ToolSet = { ...READ_TOOLS, ...PLAN_TOOL };
export const WORKING_TOOLS: ToolSet = { ...READ_TOOLS, ...WORK_TOOLS };

export const READ_ONLY_TOOL_NAMES: ReadonlySet<string> = new Set(Object.keys(READ_TOOLS));

export function toolsFor(phase: Phase): ToolSet {
  return phase === 'planning' ? PLANNING_TOOLS : WORKING_TOOLS;
}
