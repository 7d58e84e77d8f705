/**
 * One run of the LLM agent over a session: resumes from the checkpoint, finishes the tool calls
 * of an interrupted turn, takes the user's new messages, checks the budget, calls the model, and
 * turns its answer into events. Every event carries the checkpoint, so each completed turn and
 * each tool result is committed with the activity it produced.
 */
import type { LanguageModel, ToolResultPart } from 'ai';
import type { Logger } from 'pino';
import type { AgentContext, AgentEvent } from '../agent.ts';
import { oneLine } from '../tools/truncate.ts';
import { type Budgets, budgetExceeded, NOTHING_SPENT } from './budgets.ts';
import { CheckpointError, type LlmCheckpoint, loadCheckpoint } from './checkpoint.ts';
import { compact, estimateTokens } from './compaction.ts';
import { nestedInstructions, rootInstructions } from './instructions.ts';
import { callSignature, freshLoopState, observeCall } from './loop-detector.ts';
import type { ModelConfig } from './model-config.ts';
import { type CallInfo, modelTurn, type TurnResult } from './model-turn.ts';
import {
  approvedResult,
  loopNudge,
  NO_ANSWER,
  NUDGE_EMPTY,
  NUDGE_PLAN,
  systemPrompt,
  userMessages,
} from './prompts.ts';
import { ModelRequestError, withRetries } from './retry.ts';
import { argumentError, executeTool, planSteps } from './tool-executor.ts';
import { toolsFor } from './tool-set.ts';
import { addTurn, sessionUsage } from './usage.ts';

export interface RunDeps {
  model: LanguageModel;
  config: ModelConfig;
  budgets: Budgets;
  /** `provider:model`, for usage. */
  label: string;
  /** Removes the API key from text shown to people. */
  redact: (text: string) => string;
  maxResultChars: number;
  log: Logger | undefined;
}

type Draft = AgentEvent extends infer E ? (E extends AgentEvent ? Omit<E, 'checkpoint'> : never) : never;

/** A safety net far above any sane budget: the loop always ends. */
const MAX_ITERATIONS = 100_000;
const MAX_NUDGES = 2;

export class LlmRun {
  readonly #ctx: AgentContext;
  readonly #d: RunDeps;
  #cp!: LlmCheckpoint;
  #clock = Date.now();
  /** The root AGENTS.md, read once per run. */
  #instructions: string | undefined;

  constructor(ctx: AgentContext, deps: RunDeps) {
    this.#ctx = ctx;
    this.#d = deps;
  }

  async *events(): AsyncGenerator<AgentEvent> {
    try {
      this.#cp = loadCheckpoint(this.#ctx.checkpoint, this.#ctx.session.prompt);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      yield {
        type: 'fail',
        reason: `Cannot resume the session: ${e.message}.`,
        checkpoint: this.#ctx.checkpoint,
      };
      return;
    }
    const cp = this.#cp;
    this.#instructions = await rootInstructions(this.#ctx.workdir);
    if (cp.paused) {
      // Resumed by a message or :resume after a pause of ours: a fresh budget, a fresh loop count.
      if (cp.paused === 'loop') cp.loop = freshLoopState();
      cp.spent = { ...NOTHING_SPENT };
      delete cp.paused;
    }
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      this.#ctx.signal.throwIfAborted();
      // The last turn's tool calls: some still to run, or all run but not yet filed (a crash came between).
      if ((cp.pending !== undefined || this.#unanswered().length > 0) && (yield* this.#finishCalls())) return;

      const texts = await this.#ctx.takeMessages();
      if (texts.length > 0) {
        cp.messages.push({ role: 'user', content: userMessages(texts) });
        delete cp.finalAnswer;
        if (cp.phase === 'done') cp.phase = 'working';
      }
      if (cp.phase === 'done') {
        yield this.#event({ type: 'done', commitMessage: this.#ctx.session.title });
        return;
      }
      if (cp.phase === 'working' && cp.finalAnswer !== undefined) {
        const summary = cp.finalAnswer;
        delete cp.finalAnswer;
        cp.phase = 'done';
        yield this.#event({ type: 'done', summary, commitMessage: this.#ctx.session.title });
        return;
      }
      const over = budgetExceeded(this.#d.budgets, cp.spent);
      if (over) {
        cp.paused = 'budget';
        const reason = `Paused: ${over}. Send a message to continue; the budget starts again.`;
        yield this.#event({ type: 'pause', reason });
        return;
      }
      this.#compactIfNeeded(0.8, 0.5);

      let turn: TurnResult;
      try {
        turn = await this.#callModel();
      } catch (e) {
        this.#ctx.signal.throwIfAborted();
        if (!(e instanceof ModelRequestError)) throw e;
        yield this.#event({ type: 'fail', reason: this.#failureReason(e) });
        return;
      }
      addTurn(cp.usage, turn.usage);
      cp.spent.turns += 1;
      cp.spent.tokens += turn.usage.inputTokens + turn.usage.outputTokens;
      cp.messages.push(turn.assistant);
      const said = turn.text.trim();

      if (turn.calls.length > 0) {
        cp.nudges = 0;
        // Calls that cannot run are answered at once; the rest run in #finishCalls.
        cp.pending = turn.calls
          .filter((c) => c.invalid)
          .map((c) => toolResult(c, `Error: ${c.invalid}.`, true));
        yield this.#event(said ? { type: 'message', text: said } : { type: 'checkpoint' });
        continue;
      }
      if (said === '' && cp.nudges >= MAX_NUDGES) {
        yield this.#event({ type: 'fail', reason: 'The model kept answering with empty replies.' });
        return;
      }
      if (cp.phase === 'planning') {
        if (said !== '' && cp.nudges >= 1) {
          // A plain answer twice: the request needs no plan of changes; the answer is the result.
          cp.plan = [{ title: 'Answer the request', description: oneLine(said, 300) }];
          cp.finalAnswer = turn.text;
          cp.phase = 'working';
          cp.nudges = 0;
          yield this.#event({ type: 'plan', steps: cp.plan });
          continue;
        }
        cp.nudges += 1;
        cp.messages.push({ role: 'user', content: NUDGE_PLAN });
        yield this.#event(said ? { type: 'message', text: said } : { type: 'checkpoint' });
        continue;
      }
      if (said === '') {
        cp.nudges += 1;
        cp.messages.push({ role: 'user', content: NUDGE_EMPTY });
        yield this.#event({ type: 'checkpoint' });
        continue;
      }
      cp.phase = 'done';
      cp.nudges = 0;
      yield this.#event({ type: 'done', summary: turn.text, commitMessage: this.#ctx.session.title });
      return;
    }
    yield this.#event({ type: 'fail', reason: 'The agent exceeded its iteration limit.' });
  }

  /** Runs the last turn's unanswered tool calls; true when the run stops (a question, the plan, a pause). */
  async *#finishCalls(): AsyncGenerator<AgentEvent, boolean> {
    const cp = this.#cp;
    cp.pending ??= [];
    const pending = cp.pending;
    let loopNote: string | undefined;
    let loopingTool: string | undefined;
    for (const call of this.#unanswered()) {
      let result: string;
      let isError = false;
      if (call.name === 'ask_user') {
        const question = askedQuestion(call);
        if (question === undefined) {
          result = 'Invalid arguments: "question" must be a non-empty string.';
          isError = true;
        } else if (cp.asking === call.id) {
          const answers = await this.#ctx.takeMessages();
          result = answers.length > 0 ? userMessages(answers) : NO_ANSWER;
          delete cp.asking;
        } else {
          cp.asking = call.id;
          yield this.#event({ type: 'ask', question });
          return true;
        }
      } else if (call.name === 'propose_plan' && (cp.phase === 'planning' || cp.planCallId === call.id)) {
        result = approvedResult(this.#ctx.session.requirePlanApproval);
        if (cp.planCallId !== call.id) {
          try {
            cp.plan = planSteps(call);
            cp.planCallId = call.id;
            cp.phase = 'working';
            cp.nudges = 0;
            // With requirePlanApproval the runner stops here; the next run starts once it is approved.
            yield this.#event({ type: 'plan', steps: cp.plan });
          } catch (e) {
            const bad = argumentError(e);
            if (!bad) throw e;
            result = bad;
            isError = true;
          }
        }
        delete cp.planCallId;
      } else {
        const outcome = await executeTool(call, {
          ctx: this.#ctx,
          phase: cp.phase === 'planning' ? 'planning' : 'working',
          plan: cp.plan,
          maxResultChars: this.#d.maxResultChars,
        });
        const nested = await this.#nestedInstructions(call);
        const text = nested ? `${outcome.result}\n\n${nested}` : outcome.result;
        pending.push(toolResult(call, text, outcome.isError === true));
        const verdict = observeCall(cp.loop, callSignature(call.name, call.input, outcome.result));
        if (verdict === 'nudge') loopNote = loopNudge(call.name);
        if (verdict === 'pause') loopingTool = call.name;
        if (outcome.progress) yield this.#event({ type: 'progress', ...outcome.progress });
        continue;
      }
      pending.push(toolResult(call, result, isError));
    }
    cp.messages.push({ role: 'tool', content: pending });
    delete cp.pending;
    if (loopNote) cp.messages.push({ role: 'user', content: loopNote });
    if (loopingTool) {
      cp.paused = 'loop';
      const reason =
        `Paused: the agent kept repeating the same ${loopingTool} call with the same result, even after ` +
        'being told it was looping. Send a message with guidance to continue.';
      yield this.#event({ type: 'pause', reason });
      return true;
    }
    // Not committed yet on purpose: what is left unsaved (read-only results, the approval, an answer
    // whose message is re-delivered after a crash) is rebuilt the same way, and the next event saves it.
    return false;
  }

  /** AGENTS.md files on the way to the path a call touches that the model has not seen yet. */
  async #nestedInstructions(call: CallInfo): Promise<string | undefined> {
    const input = call.input as { path?: unknown } | undefined;
    const path = typeof input?.path === 'string' ? input.path : undefined;
    if (path === undefined) return undefined;
    const seen = new Set(this.#cp.instructionsSeen ?? []);
    const text = await nestedInstructions(
      this.#ctx.workdir,
      path,
      call.name === 'list_files' || call.name === 'search_files',
      seen,
    );
    if (text !== undefined) this.#cp.instructionsSeen = [...seen];
    return text;
  }

  /** Tool calls of the last assistant message that have no result yet. */
  #unanswered(): CallInfo[] {
    const last = this.#cp.messages.at(-1);
    if (last?.role !== 'assistant' || typeof last.content === 'string') return [];
    const done = new Set((this.#cp.pending ?? []).map((r) => r.toolCallId));
    const calls: CallInfo[] = [];
    for (const p of last.content) {
      if (p.type === 'tool-call' && !done.has(p.toolCallId)) {
        calls.push({ id: p.toolCallId, name: p.toolName, input: p.input });
      }
    }
    return calls;
  }

  async #callModel(): Promise<TurnResult> {
    const c = this.#d.config;
    const request = () =>
      modelTurn({
        model: this.#d.model,
        system: systemPrompt(this.#ctx.session, this.#cp.phase, this.#cp.plan, this.#instructions),
        messages: this.#cp.messages,
        tools: toolsFor(this.#cp.phase === 'planning' ? 'planning' : 'working'),
        stream: c.stream,
        signal: this.#ctx.signal,
        timeoutMs: c.requestTimeoutMs,
        maxOutputTokens: c.maxOutputTokens,
        temperature: c.temperature,
      });
    const policy = { maxRetries: c.maxRetries, baseMs: c.retryBaseMs, maxDelayMs: 10 * 60_000 };
    const onRetry = (n: { attempt: number; delayMs: number; failure: { message: string } }) =>
      this.#d.log?.warn(
        {
          session: this.#ctx.session.id,
          attempt: n.attempt,
          delayMs: n.delayMs,
          error: this.#d.redact(n.failure.message),
        },
        'model request failed; retrying',
      );
    try {
      return await withRetries(request, policy, this.#ctx.signal, onRetry);
    } catch (e) {
      // Too long for the model after all: shrink harder and try once more.
      if (e instanceof ModelRequestError && e.failure.kind === 'context' && this.#compactIfNeeded(0, 0.35)) {
        return await withRetries(request, policy, this.#ctx.signal, onRetry);
      }
      throw e;
    }
  }

  /** Compacts when the transcript passes `trigger` of the usable window, down to `target` of it. */
  #compactIfNeeded(trigger: number, target: number): boolean {
    const c = this.#d.config;
    const usable = c.contextTokens - (c.maxOutputTokens ?? Math.min(8192, c.contextTokens / 8)) - 2500;
    if (estimateTokens(this.#cp.messages) <= usable * trigger) return false;
    const smaller = compact(this.#cp.messages, Math.max(256, usable * target));
    if (!smaller) return false;
    this.#cp.messages = smaller;
    this.#cp.compactions += 1;
    return true;
  }

  #failureReason(e: ModelRequestError): string {
    const f = e.failure;
    const why =
      f.kind === 'transient'
        ? `the model provider kept failing (${e.attempts} attempts; last: ${f.message})`
        : f.kind === 'context'
          ? `the conversation no longer fits the model's context window (${f.message})`
          : `the model request was refused (${f.message})`;
    return this.#d.redact(`The agent stopped: ${why}.`);
  }

  #event(draft: Draft): AgentEvent {
    const now = Date.now();
    this.#cp.spent.wallMs += now - this.#clock;
    this.#clock = now;
    const event = { ...draft, checkpoint: this.#cp } as AgentEvent;
    if (this.#cp.usage.modelTurns > 0) {
      event.usage = sessionUsage(this.#cp.usage, this.#d.label, this.#d.config.price);
    }
    return event;
  }
}

function askedQuestion(call: CallInfo): string | undefined {
  const q = (call.input as { question?: unknown } | null)?.question;
  return typeof q === 'string' && q.trim() !== '' ? q.trim() : undefined;
}

function toolResult(call: CallInfo, value: string, isError: boolean): ToolResultPart {
  return {
    type: 'tool-result',
    toolCallId: call.id,
    toolName: call.name,
    output: { type: isError ? 'error-text' : 'text', value },
  };
}
