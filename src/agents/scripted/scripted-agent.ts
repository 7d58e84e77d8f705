/**
 * The deterministic scripted agent: plays a JSON script (from the prompt's
 * ```stint-script block, a file, or the default) step by step. Its checkpoint
 * is the index of the next step, so a resumed session continues where it was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent, AgentContext, AgentEvent, PromptInfo } from '../agent.ts';
import { type CheckpointFormat, refuseCheckpoint } from '../checkpoint-version.ts';
import { PathError, writeFileInside } from '../tools/files.ts';
import { DEFAULT_SCRIPT, type Script, type ScriptStep, scriptFromPrompt } from './script.ts';

interface Checkpoint {
  agent: 'scripted';
  v: 1;
  /** Index of the next step to play; steps.length when all are played. */
  next: number;
}

const MAX_DESCRIPTION = 16 * 1024;
const FORMAT: CheckpointFormat = {
  agent: 'scripted',
  version: 1,
  hasShape: (o) => Number.isInteger(o.next) && (o.next as number) >= 0,
};
const at = (next: number): Checkpoint => ({ agent: 'scripted', v: 1, next });

export class ScriptedAgent implements Agent {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'scripted';
  readonly #fallback: Script;

  constructor(fallback: Script = DEFAULT_SCRIPT) {
    this.#fallback = fallback;
  }

  inspectPrompt(prompt: string): PromptInfo {
    const script = scriptFromPrompt(prompt) ?? this.#fallback;
    return script.title === undefined ? {} : { title: script.title };
  }

  scriptFor(prompt: string): Script {
    return scriptFromPrompt(prompt) ?? this.#fallback;
  }

  async *run(ctx: AgentContext): AsyncGenerator<AgentEvent> {
    const script = this.scriptFor(ctx.session.prompt);
    const refused = refuseCheckpoint(ctx.checkpoint, FORMAT);
    if (refused !== undefined) {
      yield { type: 'fail', reason: `Cannot resume the session: ${refused}.`, checkpoint: ctx.checkpoint };
      return;
    }
    const saved = ctx.checkpoint as Checkpoint | undefined;
    if (saved === undefined) {
      yield {
        type: 'plan',
        steps: script.plan.map((title) => ({ title })),
        checkpoint: at(0),
      };
      return;
    }
    for (let i = saved.next; i <= script.steps.length; i++) {
      const here = at(i);
      for (const text of await ctx.takeMessages()) {
        yield { type: 'message', text: acknowledge(text), checkpoint: here };
      }
      const step = script.steps[i];
      if (step === undefined) break;
      const after = at(i + 1);
      const event = await this.#play(step, ctx, after);
      if (event) yield event;
      if (event?.type === 'ask' || event?.type === 'fail') return;
    }
    const done = at(script.steps.length);
    yield { type: 'done', commitMessage: script.title ?? ctx.session.title, checkpoint: done };
  }

  async #play(step: ScriptStep, ctx: AgentContext, checkpoint: Checkpoint): Promise<AgentEvent | undefined> {
    if ('message' in step) return { type: 'message', text: step.message, checkpoint };
    if ('progress' in step) {
      const e: AgentEvent = { type: 'progress', title: step.progress, checkpoint };
      if (step.description !== undefined) e.description = step.description;
      return e;
    }
    if ('ask' in step) return { type: 'ask', question: step.ask, checkpoint };
    if ('fail' in step) return { type: 'fail', reason: step.fail, checkpoint };
    if ('sleep' in step) {
      await sleep(step.sleep, undefined, { signal: ctx.signal });
      return { type: 'checkpoint', checkpoint };
    }
    if ('write' in step) {
      try {
        await writeFileInside(ctx.workdir, step.write.path, step.write.content);
      } catch (e) {
        if (e instanceof PathError) return { type: 'fail', reason: `write: ${e.message}`, checkpoint };
        throw e;
      }
      return { type: 'progress', title: `Wrote ${step.write.path}`, checkpoint };
    }
    const result = await ctx.sandbox.run({
      command: step.run,
      cwd: ctx.workdir,
      timeoutMs: ctx.limits.commandTimeoutMs,
      maxOutputBytes: ctx.limits.maxOutputBytes,
      signal: ctx.signal,
    });
    ctx.signal.throwIfAborted();
    const output =
      result.output.length > MAX_DESCRIPTION ? `${result.output.slice(0, MAX_DESCRIPTION)}…` : result.output;
    return {
      type: 'progress',
      title: `Ran ${step.run}`,
      description: `${output}${output.endsWith('\n') || output === '' ? '' : '\n'}exit code ${result.exitCode}`,
      bash: { command: step.run, output: result.output, exitCode: result.exitCode },
      checkpoint,
    };
  }
}

function acknowledge(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const shown = oneLine.length > 200 ? `${oneLine.slice(0, 199)}…` : oneLine;
  return `Thanks, noted: "${shown}"`;
}
