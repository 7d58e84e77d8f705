/**
 * The deterministic scripted agent: plays a JSON script (from the prompt's
 * ```stint-script block, a file, or the default) step by step, and answers user
 * messages only as the script says (see checkpoint.ts). Its checkpoint says where
 * it is in the script, so a resumed session continues where it was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent, AgentContext, AgentEvent, PromptInfo } from '../agent.ts';
import { refuseCheckpoint } from '../checkpoint-version.ts';
import { PathError, writeFileInside } from '../tools/files.ts';
import { type Checkpoint, FORMAT, hear, loadCheckpoint, nextMove, start } from './checkpoint.ts';
import {
  DEFAULT_SCRIPT,
  MESSAGE_PLACEHOLDER,
  type Script,
  type ScriptStep,
  scriptFromPrompt,
} from './script.ts';

const MAX_DESCRIPTION = 16 * 1024;

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
    let cp = loadCheckpoint(ctx.checkpoint, script);
    if (cp === undefined) {
      yield { type: 'plan', steps: script.plan.map((title) => ({ title })), checkpoint: start() };
      return;
    }
    for (;;) {
      cp = hear(script, cp, await ctx.takeMessages());
      const move = nextMove(script, cp);
      if (move.kind === 'done') break;
      cp = move.after;
      if (move.kind === 'skip') continue;
      const event = await this.#play(move.step, move.heard, ctx, cp);
      if (event) yield event;
      if (event?.type === 'ask' || event?.type === 'fail') return;
    }
    yield { type: 'done', commitMessage: script.title ?? ctx.session.title, checkpoint: cp };
  }

  async #play(
    step: ScriptStep,
    heard: string | undefined,
    ctx: AgentContext,
    checkpoint: Checkpoint,
  ): Promise<AgentEvent | undefined> {
    if ('message' in step) return { type: 'message', text: step.message, checkpoint };
    if ('reply' in step) {
      return { type: 'message', text: step.reply.replaceAll(MESSAGE_PLACEHOLDER, heard ?? ''), checkpoint };
    }
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
