/**
 * Runs one tool call of the model against the session's checkout and sandbox, returning the text
 * the model gets back and the activity (if any) the user sees. Mutating tools run only once the
 * plan is approved. Results are cut to a size the context can afford.
 */
import { lstat } from 'node:fs/promises';
import type { AgentContext, BashOutput } from '../agent.ts';
import { EditError, editFileInside } from '../tools/edit-file.ts';
import { PathError, resolveInside, writeFileInside } from '../tools/files.ts';
import { listFiles } from '../tools/list-files.ts';
import { readTextWindow } from '../tools/read-text.ts';
import { searchFiles } from '../tools/search-files.ts';
import { clip, oneLine } from '../tools/truncate.ts';
import { workspaceDiff, workspaceStatus } from '../tools/workspace-diff.ts';
import type { CallInfo } from './model-turn.ts';
import { describeIssues, isToolName, TOOL_INPUTS, type ToolInput, type ToolName } from './tool-schemas.ts';
import type { Phase } from './tool-set.ts';

export interface PlanStepInput {
  title: string;
  description: string;
}

export interface ToolOutcome {
  /** What goes back to the model. */
  result: string;
  isError?: boolean;
  /** A progressUpdated activity. */
  progress?: { title: string; description?: string; bash?: BashOutput };
}

export interface ToolEnv {
  ctx: AgentContext;
  phase: Phase;
  /** The approved plan's steps (working phase). */
  plan: PlanStepInput[] | undefined;
  /** Characters of tool output sent back to the model at most. */
  maxResultChars: number;
}

const MAX_PROGRESS_OUTPUT = 8 * 1024;
const MUTATING = new Set(['write_file', 'edit_file', 'run_command', 'start_step']);

class ArgError extends Error {}

/**
 * The call's arguments as its tool's schema reads them. The SDK validated them already (a bad
 * call arrives marked invalid); this types them, and checks calls replayed from a checkpoint.
 */
function input<N extends ToolName>(call: CallInfo, name: N): ToolInput<N> {
  const parsed = TOOL_INPUTS[name].safeParse(call.input ?? {});
  if (!parsed.success) throw new ArgError(describeIssues(parsed.error));
  return parsed.data as ToolInput<N>;
}

/** propose_plan's steps, trimmed and cut to size; throws ArgError with what is wrong. */
export function planSteps(call: CallInfo): PlanStepInput[] {
  return input(call, 'propose_plan').steps.map((s) => ({
    title: oneLine(s.title, 200),
    description: clip(s.description?.trim() ?? '', 4000),
  }));
}

export function argumentError(e: unknown): string | undefined {
  return e instanceof ArgError ? `Invalid arguments: ${e.message}.` : undefined;
}

/**
 * Runs the call; everything it returns (what the model gets and what the user sees) has the
 * session's secrets redacted: a file the agent reads may hold one (a `.env`, a token in a config).
 */
export async function executeTool(call: CallInfo, env: ToolEnv): Promise<ToolOutcome> {
  const outcome = await executeUnredacted(call, env);
  const redact = env.ctx.redact;
  if (!redact) return outcome;
  const out: ToolOutcome = { ...outcome, result: redact(outcome.result) };
  if (outcome.progress) {
    const p = outcome.progress;
    out.progress = {
      title: redact(p.title),
      ...(p.description !== undefined ? { description: redact(p.description) } : {}),
      ...(p.bash
        ? { bash: { ...p.bash, command: redact(p.bash.command), output: redact(p.bash.output) } }
        : {}),
    };
  }
  return out;
}

async function executeUnredacted(call: CallInfo, env: ToolEnv): Promise<ToolOutcome> {
  if (call.invalid) return { result: `Error: ${call.invalid}.`, isError: true };
  if (env.phase === 'planning' && MUTATING.has(call.name)) {
    return { result: `Error: ${call.name} is not available before the plan is approved.`, isError: true };
  }
  try {
    const outcome = await run(call, env);
    // Redacted before it is cut, so a cut cannot leave the first part of a secret.
    const full = env.ctx.redact ? env.ctx.redact(outcome.result) : outcome.result;
    return { ...outcome, result: clip(full, env.maxResultChars, 'both', 'narrow the request') };
  } catch (e) {
    const bad = argumentError(e);
    if (bad) return { result: bad, isError: true };
    if (e instanceof PathError || e instanceof EditError)
      return { result: `Error: ${e.message}`, isError: true };
    env.ctx.signal.throwIfAborted();
    const code = (e as NodeJS.ErrnoException).code;
    const msg = code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    return { result: `Error: ${msg}`, isError: true };
  }
}

async function run(call: CallInfo, env: ToolEnv): Promise<ToolOutcome> {
  const { workdir } = env.ctx;
  if (!isToolName(call.name))
    return { result: `Error: there is no tool named '${call.name}'.`, isError: true };
  switch (call.name) {
    case 'list_files': {
      const a = input(call, 'list_files');
      const depth = Math.min(10, Math.max(1, a.depth ?? 3));
      return { result: await listFiles(workdir, a.path ?? '.', { depth }) };
    }
    case 'read_file': {
      const a = input(call, 'read_file');
      const opts = { offset: a.offset ?? 1, limit: a.limit ?? 2000, maxChars: env.maxResultChars };
      return { result: await readTextWindow(workdir, a.path, opts) };
    }
    case 'search_files': {
      const a = input(call, 'search_files');
      return {
        result: await searchFiles(workdir, a.pattern, {
          ...(a.path == null ? {} : { path: a.path }),
          literal: a.literal === true,
          caseInsensitive: a.case_insensitive === true,
        }),
      };
    }
    case 'git_status':
      return { result: await workspaceStatus(workdir) };
    case 'git_diff':
      return { result: await workspaceDiff(workdir, input(call, 'git_diff').path ?? undefined) };
    case 'write_file': {
      const { path, content } = input(call, 'write_file');
      const existed = await resolveInside(workdir, path)
        .then((abs) => lstat(abs))
        .then(
          () => true,
          (e: NodeJS.ErrnoException) => {
            if (e instanceof PathError) throw e;
            return false;
          },
        );
      await writeFileInside(workdir, path, content);
      const lines = content === '' ? 0 : content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
      return {
        result: `${existed ? 'Overwrote' : 'Created'} ${path} (${lines} lines).`,
        progress: { title: `${existed ? 'Updated' : 'Created'} ${path}`, description: `${lines} lines` },
      };
    }
    case 'edit_file': {
      const a = input(call, 'edit_file');
      const r = await editFileInside(workdir, a.path, a.old_text, a.new_text, a.replace_all === true);
      const what = `${r.replacements} replacement${r.replacements === 1 ? '' : 's'}`;
      return {
        result: `Edited ${a.path}: ${what}; the file now has ${r.linesAfter} lines.`,
        progress: {
          title: `Edited ${a.path}`,
          description: `${what}, ${r.linesBefore} → ${r.linesAfter} lines`,
        },
      };
    }
    case 'run_command': {
      const a = input(call, 'run_command');
      return runCommand(a.command, a.timeout_seconds ?? undefined, env);
    }
    case 'start_step': {
      const { step: n, note } = input(call, 'start_step');
      const steps = env.plan ?? [];
      if (n < 1 || n > steps.length) {
        throw new ArgError(`"step" must be between 1 and ${steps.length}`);
      }
      const step = steps[n - 1]!;
      return {
        result: `Step ${n} started.`,
        progress: {
          title: `Step ${n} of ${steps.length}: ${step.title}`,
          description: note?.trim() || step.description,
        },
      };
    }
    default:
      return { result: `Error: there is no tool named '${call.name}'.`, isError: true };
  }
}

async function runCommand(
  command: string,
  timeoutSeconds: number | undefined,
  env: ToolEnv,
): Promise<ToolOutcome> {
  const { ctx } = env;
  const limit = ctx.limits.commandTimeoutMs;
  const timeoutMs = timeoutSeconds && timeoutSeconds > 0 ? Math.min(limit, timeoutSeconds * 1000) : limit;
  const r = await ctx.sandbox.run({
    command,
    cwd: ctx.workdir,
    timeoutMs,
    maxOutputBytes: ctx.limits.maxOutputBytes,
    signal: ctx.signal,
  });
  ctx.signal.throwIfAborted();
  const status = r.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `exit code ${r.exitCode}`;
  const shown = clip(r.output, MAX_PROGRESS_OUTPUT, 'tail');
  return {
    result: `${r.output === '' ? '(no output)' : r.output}${r.output.endsWith('\n') ? '' : '\n'}[${status}]`,
    progress: {
      title: `Ran ${oneLine(command, 100)}`,
      description: `${shown}${shown.endsWith('\n') || shown === '' ? '' : '\n'}${status}`,
      bash: { command, output: r.output, exitCode: r.exitCode },
    },
  };
}
