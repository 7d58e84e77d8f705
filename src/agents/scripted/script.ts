/** The scripted agent's script format and its parser. */
import { invalidArgument } from '../../domain/errors.ts';

export type ScriptStep =
  | { message: string }
  | { progress: string; description?: string }
  | { write: { path: string; content: string } }
  | { run: string }
  | { ask: string }
  | { reply: string }
  | { sleep: number }
  | { fail: string };

export interface Script {
  title?: string;
  plan: string[];
  steps: ScriptStep[];
  /**
   * How to answer a user message that is not the answer to an `ask` (sent while the agent works,
   * while the plan waits for approval, or to a finished session): these steps, played once per
   * message. Unset: the next thing the script says is the reply, or an acknowledgement when it has
   * nothing more to say. `[]`: such messages get no reply of their own.
   */
  onMessage?: ScriptStep[];
}

/** In a `reply` step, replaced by the user message being answered (one line, at most 200 characters). */
export const MESSAGE_PLACEHOLDER = '{{message}}';

/** What the agent says to a message when the script has nothing to say. */
export const ACKNOWLEDGE: ScriptStep = { reply: `Thanks, noted: "${MESSAGE_PLACEHOLDER}"` };

/** Steps that post an agent message (what a client waiting for a reply reads). */
export function says(step: ScriptStep): boolean {
  return 'message' in step || 'ask' in step || 'reply' in step;
}

export const DEFAULT_SCRIPT: Script = {
  plan: ['Carry out the request'],
  steps: [{ message: 'Done. This is the scripted agent: configure a model to have real work done.' }],
};

const FENCE = /```stint-script[^\n]*\n([\s\S]*?)```/;
const STEP_KEYS = ['message', 'progress', 'write', 'run', 'ask', 'reply', 'sleep', 'fail'] as const;
const MAX_SLEEP_MS = 24 * 60 * 60 * 1000;

/** The script embedded in a prompt's ```stint-script block, if any. Throws INVALID_ARGUMENT when malformed. */
export function scriptFromPrompt(prompt: string): Script | undefined {
  const m = FENCE.exec(prompt);
  if (!m) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(m[1]!);
  } catch (e) {
    throw invalidArgument(`prompt: the stint-script block is not valid JSON (${(e as Error).message}).`);
  }
  return parseScript(json, 'prompt: stint-script');
}

export function parseScript(json: unknown, where: string): Script {
  const bad = (msg: string) => invalidArgument(`${where}: ${msg}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('must be a JSON object.');
  const o = json as Record<string, unknown>;
  if (o.title !== undefined && typeof o.title !== 'string') throw bad('"title" must be a string.');
  const plan = o.plan ?? DEFAULT_SCRIPT.plan;
  if (
    !Array.isArray(plan) ||
    plan.length === 0 ||
    !plan.every((p) => typeof p === 'string' && p.trim() !== '')
  ) {
    throw bad('"plan" must be a non-empty array of non-empty strings.');
  }
  const steps = o.steps ?? [];
  if (!Array.isArray(steps)) throw bad('"steps" must be an array.');
  const script: Script = {
    plan: plan as string[],
    steps: steps.map((s, i) => parseStep(s, `${where}: steps[${i}]`)),
  };
  if (typeof o.title === 'string') script.title = o.title;
  if (o.onMessage !== undefined) {
    // A single step (e.g. {"reply": "…"}) is short for a list of one.
    const handler = Array.isArray(o.onMessage) ? o.onMessage : [o.onMessage];
    script.onMessage = handler.map((s, i) => parseStep(s, `${where}: onMessage[${i}]`));
  }
  return script;
}

function parseStep(step: unknown, where: string): ScriptStep {
  const bad = (msg: string) => invalidArgument(`${where}: ${msg}`);
  if (typeof step !== 'object' || step === null || Array.isArray(step)) throw bad('must be an object.');
  const s = step as Record<string, unknown>;
  const keys = STEP_KEYS.filter((k) => k in s);
  if (keys.length !== 1) throw bad(`must have exactly one of ${STEP_KEYS.join(', ')}.`);
  const key = keys[0]!;
  const v = s[key];
  switch (key) {
    case 'message':
    case 'ask':
    case 'reply':
    case 'fail':
    case 'run':
      if (typeof v !== 'string' || v === '') throw bad(`"${key}" must be a non-empty string.`);
      return { [key]: v } as ScriptStep;
    case 'progress': {
      if (typeof v !== 'string' || v === '') throw bad('"progress" must be a non-empty string.');
      if (s.description !== undefined && typeof s.description !== 'string') {
        throw bad('"description" must be a string.');
      }
      return s.description === undefined
        ? { progress: v }
        : { progress: v, description: s.description as string };
    }
    case 'sleep':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SLEEP_MS) {
        throw bad(`"sleep" must be an integer number of milliseconds between 0 and ${MAX_SLEEP_MS}.`);
      }
      return { sleep: v };
    case 'write': {
      const w = v as Record<string, unknown> | null;
      if (
        typeof w !== 'object' ||
        w === null ||
        typeof w.path !== 'string' ||
        typeof w.content !== 'string'
      ) {
        throw bad('"write" must be {"path": string, "content": string}.');
      }
      return { write: { path: w.path, content: w.content } };
    }
  }
}
