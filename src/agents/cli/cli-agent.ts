/**
 * The `cli` agent: runs an external coding-agent CLI (claude, codex, gemini, aider, or the
 * operator's own command) in the session's checkout through the sandbox, streams its output as
 * progress, and leaves the runner to take the changes it made as the changeSet. A follow-up
 * message runs it again with the message added to the task.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunResult } from '../../sandbox/sandbox.ts';
import type { Agent, AgentContext, AgentEvent } from '../agent.ts';
import { type CheckpointFormat, refuseCheckpoint } from '../checkpoint-version.ts';
import { type CliAgentConfig, commandLine } from './cli-config.ts';
import { OutputBatcher } from './output-batcher.ts';

interface Checkpoint {
  agent: 'cli';
  v: 1;
  /** planned: the plan is out; running: a run started (and may have been interrupted); done: it finished. */
  phase: 'planned' | 'running' | 'done';
  /** Runs started so far. */
  runs: number;
  /** User messages taken so far, in order: they are part of every later run's task. */
  notes: string[];
}

/** Inside the checkout's git dir: readable by the command, never part of the patch. */
const PROMPT_FILE = join('.git', 'stint-agent-prompt.txt');
const FLUSH_MS = 1500;
const MAX_PROGRESS = 8 * 1024;
const FORMAT: CheckpointFormat = {
  agent: 'cli',
  version: 1,
  hasShape: (o) =>
    (o.phase === 'planned' || o.phase === 'running' || o.phase === 'done') &&
    Number.isInteger(o.runs) &&
    Array.isArray(o.notes) &&
    o.notes.every((n) => typeof n === 'string'),
};

export class CliAgent implements Agent {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly #config: CliAgentConfig;

  constructor(config: CliAgentConfig) {
    this.#config = config;
    this.name = `cli:${config.name}`;
  }

  async *run(ctx: AgentContext): AsyncGenerator<AgentEvent> {
    const name = this.#config.name;
    const refused = refuseCheckpoint(ctx.checkpoint, FORMAT);
    if (refused !== undefined) {
      yield { type: 'fail', reason: `Cannot resume the session: ${refused}.`, checkpoint: ctx.checkpoint };
      return;
    }
    let cp = ctx.checkpoint as Checkpoint | undefined;
    if (cp === undefined) {
      cp = { agent: 'cli', v: 1, phase: 'planned', runs: 0, notes: [] };
      const steps = [
        {
          title: `Run ${name} on the task`,
          description: `${name} works in the repository's checkout; its output is shown as progress and the changes it leaves become the patch.`,
        },
      ];
      // With requirePlanApproval the runner stops here and nothing runs until the plan is approved.
      yield { type: 'plan', steps, checkpoint: cp };
    }
    const messages = await ctx.takeMessages();
    if (cp.phase === 'done' && messages.length === 0) {
      yield { type: 'done', commitMessage: ctx.session.title, checkpoint: cp };
      return;
    }
    const resumed = cp.phase === 'running';
    cp = { ...cp, agent: 'cli', phase: 'running', runs: cp.runs + 1, notes: [...cp.notes, ...messages] };
    await writeFile(join(ctx.workdir, PROMPT_FILE), taskText(ctx.session.prompt, cp.notes));
    const command = commandLine(this.#config.template, join(ctx.workdir, PROMPT_FILE));
    yield {
      type: 'progress',
      title: resumed ? `Running ${name} again (the previous run was interrupted)` : `Running ${name}`,
      description: this.#config.template[0]!,
      checkpoint: cp,
    };

    const local = new AbortController();
    const stop = () => local.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', stop, { once: true });
    const out = new OutputBatcher(FLUSH_MS, MAX_PROGRESS);
    let result: RunResult | undefined;
    let failure: unknown;
    try {
      const running = ctx.sandbox
        .run({
          command,
          cwd: ctx.workdir,
          env: { NO_COLOR: '1', TERM: 'dumb', CI: '1' },
          timeoutMs: this.#config.timeoutMs,
          maxOutputBytes: ctx.limits.maxOutputBytes,
          signal: local.signal,
          onOutput: (chunk) => out.push(chunk),
        })
        .then(
          (r) => {
            result = r;
          },
          (e) => {
            failure = e;
          },
        );
      while (result === undefined && failure === undefined) {
        await Promise.race([running, sleep(FLUSH_MS / 3)]);
        const text = out.take(result !== undefined || failure !== undefined);
        if (text !== undefined)
          yield { type: 'progress', title: `${name} output`, description: text, checkpoint: cp };
      }
    } finally {
      // Also when the runner stops early (paused, cancelled): the CLI must not outlive its session's run.
      ctx.signal.removeEventListener('abort', stop);
      local.abort();
    }
    ctx.signal.throwIfAborted();
    if (failure !== undefined || result === undefined) {
      yield {
        type: 'fail',
        reason: `Could not start ${name}: ${(failure as Error)?.message}`,
        checkpoint: cp,
      };
      return;
    }
    const r: RunResult = result;
    const rest = out.take(true);
    if (rest !== undefined)
      yield { type: 'progress', title: `${name} output`, description: rest, checkpoint: cp };
    cp = { ...cp, phase: 'done' };
    if (r.timedOut) {
      const minutes = Math.round(this.#config.timeoutMs / 60_000);
      yield { type: 'fail', reason: `${name} did not finish within ${minutes} minutes.`, checkpoint: cp };
      return;
    }
    if (r.exitCode !== 0) {
      const tail = out.tail(1500);
      yield {
        type: 'fail',
        reason: `${name} exited with code ${r.exitCode}${tail ? `:\n${tail}` : '.'}`,
        checkpoint: cp,
      };
      return;
    }
    const summary = out.tail(4000) || `${name} finished without output.`;
    yield { type: 'done', summary, commitMessage: ctx.session.title, checkpoint: cp };
  }
}

function taskText(prompt: string, notes: string[]): string {
  if (notes.length === 0) return prompt;
  return `${prompt}\n\n${notes.map((n) => `Follow-up from the user:\n${n}`).join('\n\n')}\n`;
}
