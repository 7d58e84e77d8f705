/**
 * The arguments of every tool the model is offered, as zod schemas: the AI SDK turns them into the
 * JSON Schema the model sees and validates each call against them (a bad call comes back to the
 * model as an error result, see model-turn.ts); the executor reads its typed input from them.
 * Optional arguments also accept null, which some models send for "not given".
 */
import { z } from 'zod';

const str = (description: string) => z.string().describe(description);
const int = (description: string) => z.number().int().describe(description);
const flag = (description: string) => z.boolean().describe(description);

export const TOOL_INPUTS = {
  list_files: z.object({
    path: str('Directory relative to the repository root; default "."').nullish(),
    depth: int('Levels to descend, 1-10; default 3').nullish(),
  }),
  read_file: z.object({
    path: str('File path relative to the repository root'),
    offset: int('First line to read, 1-based; default 1').nullish(),
    limit: int('Number of lines to read; default 2000').nullish(),
  }),
  search_files: z.object({
    pattern: str('Regular expression, or literal text when literal is true'),
    path: str('Only search this directory or file; default the whole repository').nullish(),
    literal: flag('Treat pattern as plain text').nullish(),
    case_insensitive: flag('Ignore case').nullish(),
  }),
  git_status: z.object({}),
  git_diff: z.object({ path: str('Only this file or directory').nullish() }),
  ask_user: z.object({ question: str('The question, self-contained') }),
  propose_plan: z.object({
    steps: z
      .array(
        z.object({
          title: z.string().trim().min(1).describe('Short imperative title, e.g. "Add input validation"'),
          description: str('What the step does and why').nullish(),
        }),
      )
      .min(1)
      .max(30)
      .describe('The steps, in order'),
  }),
  start_step: z.object({
    step: int('Step number, 1-based'),
    note: str('Optional: what you are about to do').nullish(),
  }),
  write_file: z.object({
    path: str('File path relative to the repository root'),
    content: str('The complete new content'),
  }),
  edit_file: z.object({
    path: str('File path relative to the repository root'),
    old_text: str('Exact text to replace'),
    new_text: str('Replacement text'),
    replace_all: flag('Replace every occurrence').nullish(),
  }),
  run_command: z.object({
    command: z.string().regex(/\S/, 'must not be empty').describe('The command line'),
    timeout_seconds: int('Give up after this many seconds (capped by the server limit)').nullish(),
  }),
};

export type ToolName = keyof typeof TOOL_INPUTS;
export type ToolInput<N extends ToolName> = z.output<(typeof TOOL_INPUTS)[N]>;

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOL_INPUTS, name);
}

export interface SchemaIssues {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

/** What is wrong with a call's arguments, one clause per problem: `"steps.0.title": Too small: ...`. */
export function describeIssues(error: SchemaIssues): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? `"${i.path.map(String).join('.')}"` : 'the arguments'}: ${i.message}`)
    .join('; ');
}
