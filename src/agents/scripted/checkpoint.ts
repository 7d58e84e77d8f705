/**
 * Where the scripted agent is in its script, as committed with each event (pure, no I/O).
 * v2 adds what v1 could not say: whether the agent waits for the answer to an `ask`, and the
 * user messages it is still answering with the script's `onMessage` steps.
 */
import type { CheckpointFormat } from '../checkpoint-version.ts';
import { ACKNOWLEDGE, type Script, type ScriptStep, says } from './script.ts';

/** A user message being answered: its shown form, and whether it answers an ask (acknowledged). */
export interface Heard {
  text: string;
  answer?: true;
}

export interface Checkpoint {
  agent: 'scripted';
  v: 2;
  /** Index of the next main step to play; steps.length when all are played. */
  next: number;
  /** The last step played was an ask: the messages taken next are its answer. */
  asked?: true;
  /** Messages still to answer, oldest first; inbox[0] is at its handler's step `at`. */
  inbox?: Heard[];
  at?: number;
  /** The last message heard (shown form), for `{{message}}` in main steps. */
  heard?: string;
}

interface CheckpointV1 {
  agent?: 'scripted';
  v: 1;
  next: number;
}

/** Checked by refuseCheckpoint() before loading (another agent's or a newer version fails the session). */
export const FORMAT: CheckpointFormat = {
  agent: 'scripted',
  version: 2,
  hasShape: (o) =>
    Number.isInteger(o.next) &&
    (o.next as number) >= 0 &&
    (o.inbox === undefined || Array.isArray(o.inbox)) &&
    (o.at === undefined || Number.isInteger(o.at)),
};

/** The checkpoint to resume from; v1 (before onMessage, stamped or not) is read as v2. Undefined: nothing played yet. */
export function loadCheckpoint(raw: unknown, script: Script): Checkpoint | undefined {
  if (raw === undefined || raw === null) return undefined;
  const cp = raw as Partial<Checkpoint> | Partial<CheckpointV1>;
  if (typeof cp !== 'object' || !Number.isInteger(cp.next) || (cp.next as number) < 0) {
    throw new Error(`scripted agent: unreadable checkpoint ${JSON.stringify(raw)}`);
  }
  if (cp.v === 2) return cp as Checkpoint;
  if (cp.v === 1) {
    // v1 kept only the next step: after an ask, the session waited for its answer.
    const next = cp.next as number;
    const prev = script.steps[next - 1];
    return { ...start(), next, ...(prev && 'ask' in prev ? { asked: true as const } : {}) };
  }
  throw new Error(`scripted agent: unknown checkpoint version ${JSON.stringify(cp.v)}`);
}

export function start(): Checkpoint {
  return { agent: 'scripted', v: 2, next: 0 };
}

/** One line, at most 200 characters: what `{{message}}` becomes. */
export function shown(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 199)}…` : oneLine;
}

/** Takes in user messages: the answer to a pending ask, or messages to answer with the handler. */
export function hear(script: Script, cp: Checkpoint, messages: string[]): Checkpoint {
  if (messages.length === 0) return cp;
  const heard = shown(messages.at(-1)!);
  if (cp.asked) {
    const { asked: _, ...rest } = cp;
    const next: Checkpoint = { ...rest, heard };
    // An ask inside an onMessage handler (the only way to ask with messages pending): from now on
    // that handler answers the answer, so `{{message}}` is the answer.
    const [current, ...queued] = next.inbox ?? [];
    if (current) next.inbox = [{ ...current, text: heard }, ...queued];
    // The script's next words are the reply; with none left, a client waiting for one gets an acknowledgement.
    if (saysMore(script, next)) return next;
    return { ...next, inbox: [...(next.inbox ?? []), { text: heard, answer: true }] };
  }
  const inbox = [...(cp.inbox ?? []), ...messages.map((m) => ({ text: shown(m) }))];
  return { ...cp, heard, inbox };
}

/** The steps that answer `h`: an answer's acknowledgement, the script's onMessage, or the default. */
export function handlerFor(script: Script, cp: Checkpoint, h: Heard): ScriptStep[] {
  if (h.answer) return [ACKNOWLEDGE];
  if (script.onMessage) return script.onMessage;
  // No onMessage: the next thing the main script says is the reply; nothing left to say, acknowledge.
  return script.steps.slice(cp.next).some(says) ? [] : [ACKNOWLEDGE];
}

/** Whether anything the agent still plays (the current handler's rest, then the main steps) posts a message. */
function saysMore(script: Script, cp: Checkpoint): boolean {
  const current = cp.inbox?.[0];
  if (
    current &&
    handlerFor(script, cp, current)
      .slice(cp.at ?? 0)
      .some(says)
  )
    return true;
  return script.steps.slice(cp.next).some(says);
}

export type Move =
  | { kind: 'play'; step: ScriptStep; heard: string | undefined; after: Checkpoint }
  /** inbox[0] is fully answered: drop it, nothing to play. */
  | { kind: 'skip'; after: Checkpoint }
  | { kind: 'done' };

/** What to play next from `cp`: the pending messages' handlers first, then the main steps. */
export function nextMove(script: Script, cp: Checkpoint): Move {
  const current = cp.inbox?.[0];
  if (current) {
    const steps = handlerFor(script, cp, current);
    const at = cp.at ?? 0;
    const step = steps[at];
    if (step === undefined) return { kind: 'skip', after: dropFirst(cp) };
    // After an ask the entry stays (at its next step) until the answer came: hear() puts the answer in it.
    const after: Checkpoint =
      'ask' in step
        ? { ...cp, at: at + 1, asked: true }
        : at + 1 >= steps.length
          ? dropFirst(cp)
          : { ...cp, at: at + 1 };
    return { kind: 'play', step, heard: current.text, after };
  }
  const step = script.steps[cp.next];
  if (step === undefined) return { kind: 'done' };
  const after: Checkpoint = { ...cp, next: cp.next + 1 };
  return { kind: 'play', step, heard: cp.heard, after: 'ask' in step ? { ...after, asked: true } : after };
}

function dropFirst(cp: Checkpoint): Checkpoint {
  const { inbox, at: _, ...rest } = cp;
  const left = inbox?.slice(1) ?? [];
  return left.length ? { ...rest, inbox: left } : rest;
}
