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

function args(call: CallInfo): Record<string, unknown> {
  const a = call.input;
  if (typeof a !== 'object' || a === null || Array.isArray(a))
    throw new ArgError('arguments must be an object');
  return a as Record<string, unknown>;
}

function text(a: Record<string, unknown>, key: string, required = true): string | undefined {
  const v = a[key];
  if (v === undefined || v === null) {
    if (required) throw new ArgError(`"${key}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ArgError(`"${key}" must be a string`);
  return v;
}

function num(a: Record<string, unknown>, key: string): number | undefined {
  const v = a[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgError(`"${key}" must be a number`);
  return Math.floor(v);
}

/** Validates propose_plan's steps; throws ArgError with what is wrong. */
export function planSteps(call: CallInfo): PlanStepInput[] {
  const steps = args(call).steps;
  if (!Array.isArray(steps) || steps.length === 0) throw new ArgError('"steps" must be a non-empty array');
  if (steps.length > 30) throw new ArgError('at most 30 steps');
  return steps.map((s, i) => {
    if (typeof s !== 'object' || s === null) throw new ArgError(`steps[${i}] must be an object`);
    const o = s as Record<string, unknown>;
    const title = typeof o.title === 'string' ? o.title.trim() : '';
    if (title === '') throw new ArgError(`steps[${i}].title must be a non-empty string`);
    const description = typeof o.description === 'string' ? o.description.trim() : '';
    return { title: oneLine(title, 200), description: clip(description, 4000) };
  });
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
  const a = args(call);
  switch (call.name) {
    case 'list_files': {
      const depth = Math.min(10, Math.max(1, num(a, 'depth') ?? 3));
      return { result: await listFiles(workdir, text(a, 'path', false) ?? '.', { depth }) };
    }
    case 'read_file': {
      const opts = {
        offset: num(a, 'offset') ?? 1,
        limit: num(a, 'limit') ?? 2000,
        maxChars: env.maxResultChars,
      };
      return { result: await readTextWindow(workdir, text(a, 'path')!, opts) };
    }
    case 'search_files': {
      const path = text(a, 'path', false);
      return {
        result: await searchFiles(workdir, text(a, 'pattern')!, {
          ...(path === undefined ? {} : { path }),
          literal: a.literal === true,
          caseInsensitive: a.case_insensitive === true,
        }),
      };
    }
    case 'git_status':
      return { result: await workspaceStatus(workdir) };
    case 'git_diff':
      return { result: await workspaceDiff(workdir, text(a, 'path', false)) };
    case 'write_file': {
      const path = text(a, 'path')!;
      const content = text(a, 'content')!;
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
      const path = text(a, 'path')!;
      const r = await editFileInside(
        workdir,
        path,
        text(a, 'old_text')!,
        text(a, 'new_text')!,
        a.replace_all === true,
      );
      const what = `${r.replacements} replacement${r.replacements === 1 ? '' : 's'}`;
      return {
        result: `Edited ${path}: ${what}; the file now has ${r.linesAfter} lines.`,
        progress: {
          title: `Edited ${path}`,
          description: `${what}, ${r.linesBefore} → ${r.linesAfter} lines`,
        },
      };
    }
    case 'run_command':
      return runCommand(text(a, 'command')!, num(a, 'timeout_seconds'), env);
    case 'start_step': {
      const n = num(a, 'step');
      const steps = env.plan ?? [];
      if (n === undefined || n < 1 || n > steps.length) {
        throw new ArgError(`"step" must be between 1 and ${steps.length}`);
      }
      const step = steps[n - 1]!;
      const note = text(a, 'note', false)?.trim();
      return {
        result: `Step ${n} started.`,
        progress: {
          title: `Step ${n} of ${steps.length}: ${step.title}`,
          description: note || step.description,
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
  if (command.trim() === '') throw new ArgError('"command" must not be empty');
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
