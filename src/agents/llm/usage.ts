/** Token usage of a session's model calls, and its cost when the operator gave the model's prices. */
import type { SessionUsage } from '../../domain/session.ts';
import type { ModelPrice } from './model-config.ts';
import type { TurnUsage } from './model-turn.ts';

export interface UsageTotals {
  modelTurns: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export function emptyUsage(): UsageTotals {
  return { modelTurns: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
}

export function addTurn(t: UsageTotals, u: TurnUsage): void {
  t.modelTurns += 1;
  t.inputTokens += u.inputTokens;
  t.outputTokens += u.outputTokens;
  t.cachedInputTokens += u.cachedInputTokens;
}

export function sessionUsage(t: UsageTotals, model: string, price: ModelPrice | undefined): SessionUsage {
  const u: SessionUsage = {
    model,
    modelTurns: t.modelTurns,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    totalTokens: t.inputTokens + t.outputTokens,
  };
  if (t.cachedInputTokens > 0) u.cachedInputTokens = t.cachedInputTokens;
  if (price) {
    const cost = (t.inputTokens * price.inputPerMTok + t.outputTokens * price.outputPerMTok) / 1e6;
    u.costUsd = Math.round(cost * 1e6) / 1e6;
  }
  return u;
}
