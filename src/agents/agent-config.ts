/**
 * Which agent backend runs sessions, and its settings (--agent / STINT_AGENT): the deterministic
 * `scripted` agent, the `llm` tool loop (STINT_MODEL…), or an external agent `cli`.
 */
import { type CliAgentConfig, parseCliAgentConfig } from './cli/cli-config.ts';
import { type Budgets, parseBudgets } from './llm/budgets.ts';
import { type ModelConfig, parseModelConfig } from './llm/model-config.ts';

export const AGENT_KINDS = ['scripted', 'llm', 'cli'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export interface AgentConfig {
  agent: AgentKind;
  /** --agent llm: the model. */
  model: ModelConfig | undefined;
  /** --agent llm: what each session may spend before it pauses. */
  budgets: Budgets;
  /** --agent cli: the external CLI. */
  cliAgent: CliAgentConfig | undefined;
}

export function buildAgentConfig(
  flags: { agent?: string | undefined; model?: string | undefined },
  env: NodeJS.ProcessEnv,
  fail: (message: string) => Error,
): AgentConfig {
  const agent = (flags.agent ?? env.STINT_AGENT ?? 'scripted') as AgentKind;
  if (!AGENT_KINDS.includes(agent)) {
    throw fail(`--agent must be one of ${AGENT_KINDS.join(', ')}; got '${agent}'.`);
  }
  return {
    agent,
    model: agent === 'llm' ? Object.freeze(parseModelConfig(flags, env, fail)) : undefined,
    budgets: Object.freeze(parseBudgets(env, fail)),
    cliAgent: agent === 'cli' ? Object.freeze(parseCliAgentConfig(env, fail)) : undefined,
  };
}
