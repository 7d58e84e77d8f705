/** An in-process stand-in for the runner: a real checkout and sandbox, messages from the test. */
import { rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Agent, AgentContext, AgentEvent } from '../../src/agents/agent.ts';
import { budgetExceeded } from '../../src/agents/llm/budgets.ts';
import type { ModelConfig } from '../../src/agents/llm/model-config.ts';
import type { Session } from '../../src/domain/session.ts';
import { createSandbox } from '../../src/sandbox/index.ts';
import { prepareCheckout } from '../../src/workspace/checkout.ts';
import { makeTempDir } from '../support/server.ts';

export { budgetExceeded };

export function session(prompt: string, extra: Partial<Session> = {}): Session {
  return {
    id: 'test-session',
    tenantId: 'default',
    prompt,
    title: 'Test session',
    requirePlanApproval: false,
    automationMode: 'AUTOMATION_MODE_UNSPECIFIED',
    state: 'PLANNING',
    archived: false,
    outputs: [],
    createTime: 0,
    updateTime: 0,
    ...extra,
  };
}

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A fresh checkout (of gitUrl, else an empty repository), removed when the test file ends. */
export async function checkout(gitUrl?: string): Promise<string> {
  const root = await realpath(makeTempDir('stint-agent-test-'));
  temps.push(root);
  const dir = join(root, 'checkout');
  await prepareCheckout({ dir, ...(gitUrl ? { gitUrl } : {}) });
  return dir;
}

export interface Harness {
  ctx(checkpoint: unknown, s: Session): AgentContext;
  /** Messages the next takeMessages() returns. */
  say(text: string): void;
  abort: AbortController;
}

export function harness(workdir: string): Harness {
  const inbox: string[] = [];
  const abort = new AbortController();
  return {
    abort,
    say: (text) => inbox.push(text),
    ctx: (checkpoint, s) => ({
      session: s,
      workdir,
      sandbox: createSandbox('plain', { killGraceMs: 300 }),
      checkpoint,
      plan: undefined,
      signal: abort.signal,
      limits: { commandTimeoutMs: 20_000, maxOutputBytes: 64 * 1024 },
      takeMessages: async () => inbox.splice(0),
    }),
  };
}

/** Runs the agent to its end (it returns after ask/pause/fail/done/plan-with-approval); all events. */
export async function runAll(agent: Agent, ctx: AgentContext, max = 500): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of agent.run(ctx)) {
    // Checkpoints are committed as JSON: make sure each one survives the trip.
    events.push({ ...e, checkpoint: JSON.parse(JSON.stringify(e.checkpoint)) } as AgentEvent);
    if (events.length >= max) throw new Error('too many events');
    if (e.type === 'plan' && ctx.session.requirePlanApproval) break;
  }
  return events;
}

export function modelConfig(baseUrl: string, extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    provider: 'openai-compatible',
    model: 'fake-coder',
    baseUrl,
    apiKey: 'sk-test-harness-key-123',
    stream: true,
    contextTokens: 128_000,
    maxOutputTokens: undefined,
    temperature: undefined,
    requestTimeoutMs: 20_000,
    maxRetries: 2,
    retryBaseMs: 10,
    price: undefined,
    ...extra,
  };
}
