/**
 * Per-session budgets (the server's defaults apply to every session): model turns, tokens and
 * working wall time. Reaching one pauses the session; a message or :resume grants a fresh budget.
 */
import { envInt, type Fail } from '../../env-int.ts';

export interface Budgets {
  /** Model calls; 0 = unlimited. */
  maxTurns: number;
  /** Input + output tokens; 0 = unlimited. */
  maxTokens: number;
  /** Time spent working (not waiting for people); 0 = unlimited. */
  maxWallMs: number;
}

/** What a session has spent since its budget last started. */
export interface Spent {
  turns: number;
  tokens: number;
  wallMs: number;
}

export const NOTHING_SPENT: Spent = Object.freeze({ turns: 0, tokens: 0, wallMs: 0 });

export function parseBudgets(env: NodeJS.ProcessEnv, fail: Fail): Budgets {
  const budget = (name: string, fallback: number, max: number) =>
    envInt(fail, name, env[name], fallback, 0, max, '(unlimited)');
  return {
    maxTurns: budget('STINT_BUDGET_TURNS', 150, 1_000_000),
    maxTokens: budget('STINT_BUDGET_TOKENS', 5_000_000, 1e12),
    maxWallMs: budget('STINT_BUDGET_MINUTES', 120, 525_600) * 60_000,
  };
}

/** Why the session must stop for now, or undefined while the budget lasts. */
export function budgetExceeded(b: Budgets, s: Spent): string | undefined {
  if (b.maxTurns > 0 && s.turns >= b.maxTurns) {
    return `it used its budget of ${b.maxTurns} model turn${b.maxTurns === 1 ? '' : 's'}`;
  }
  if (b.maxTokens > 0 && s.tokens >= b.maxTokens) {
    return `it used its budget of ${b.maxTokens} tokens (${s.tokens} used)`;
  }
  if (b.maxWallMs > 0 && s.wallMs >= b.maxWallMs) {
    return `it worked for its budget of ${Math.round(b.maxWallMs / 60_000)} minutes`;
  }
  return undefined;
}
