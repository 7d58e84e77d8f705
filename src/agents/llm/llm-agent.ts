/**
 * The LLM agent: a tool loop on the `ai` SDK against the model the operator configured. It plans
 * read-only, waits for approval when asked to, works step by step with file and command tools,
 * asks the user when it must, and stays within per-session budgets. See docs/architecture/agents.md.
 */
import type { LanguageModel } from 'ai';
import type { Logger } from 'pino';
import { logScrubber, Redactor } from '../../security/redactor.ts';
import type { Agent, AgentContext, AgentEvent } from '../agent.ts';
import type { Budgets } from './budgets.ts';
import { createLanguageModel } from './language-model.ts';
import { LlmRun } from './llm-run.ts';
import { type ModelConfig, modelLabel } from './model-config.ts';

export interface LlmAgentOptions {
  config: ModelConfig;
  budgets: Budgets;
  /** A ready model instead of one built from config (embedding, tests). */
  model?: LanguageModel;
  log?: Logger;
  /** Characters of one tool result sent back to the model at most (default 20000). */
  maxResultChars?: number;
}

export class LlmAgent implements Agent {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'llm';
  readonly #opts: LlmAgentOptions;
  readonly #model: LanguageModel;
  readonly #redactor: Redactor;

  constructor(opts: LlmAgentOptions) {
    this.#opts = opts;
    this.#model = opts.model ?? createLanguageModel(opts.config);
    const key = opts.config.apiKey;
    this.#redactor = new Redactor(key ? [key] : []);
    // Whatever a log line quotes (an SDK error, a URL), the key never reaches the log.
    if (key) logScrubber.add([key]);
  }

  /** `provider:model` (never the key). */
  get model(): string {
    return modelLabel(this.#opts.config);
  }

  run(ctx: AgentContext): AsyncIterable<AgentEvent> {
    return new LlmRun(ctx, {
      model: this.#model,
      config: this.#opts.config,
      budgets: this.#opts.budgets,
      label: modelLabel(this.#opts.config),
      redact: (text) => this.#redactor.text(text),
      maxResultChars: this.#opts.maxResultChars ?? 20_000,
      log: this.#opts.log,
    }).events();
  }
}
