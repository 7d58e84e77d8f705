/**
 * Runs a setup plan's steps one after the other in the sandbox, within one time limit, handing
 * their output on in progress-sized pieces (a bounded number of them) and ending with a reason
 * that names the step and shows the tail of its output when one fails.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputBatcher } from '../agents/cli/output-batcher.ts';
import type { RunResult, Sandbox } from '../sandbox/sandbox.ts';
import type { SetupPlan } from './setup-plan.ts';

const FLUSH_MS = 2000;
const MAX_PIECE = 8 * 1024;
/** Output pieces shown per setup; later output only counts for the tail of a failure. */
export const MAX_OUTPUT_PIECES = 40;
const TAIL_CHARS = 2000;

export interface SetupRunOptions {
  sandbox: Sandbox;
  cwd: string;
  plan: SetupPlan;
  maxOutputBytes: number;
  signal: AbortSignal;
  /** How often output is handed on (default 2 s). */
  flushMs?: number;
  /** Output of the running step (already cleaned of terminal escapes; not yet redacted). */
  onOutput(step: string, text: string): Promise<void>;
}

export type SetupOutcome = { ok: true; ms: number } | { ok: false; reason: string; ms: number };

export async function runSetup(opts: SetupRunOptions): Promise<SetupOutcome> {
  const started = performance.now();
  const deadline = Date.now() + opts.plan.timeoutMs;
  let pieces = 0;
  const elapsed = () => Math.round(performance.now() - started);
  for (const step of opts.plan.steps) {
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, reason: timeoutReason(opts.plan, step.label, ''), ms: elapsed() };
    const flushMs = opts.flushMs ?? FLUSH_MS;
    const out = new OutputBatcher(flushMs, MAX_PIECE);
    const local = new AbortController();
    const stop = () => local.abort(opts.signal.reason);
    opts.signal.addEventListener('abort', stop, { once: true });
    let result: RunResult | undefined;
    let failure: unknown;
    const show = async (final: boolean) => {
      const text = out.take(final);
      if (text === undefined || pieces >= MAX_OUTPUT_PIECES) return;
      pieces++;
      const more = pieces === MAX_OUTPUT_PIECES ? '\n[stint: further setup output is not shown]' : '';
      await opts.onOutput(step.label, text + more);
    };
    try {
      const running = opts.sandbox
        .run({
          command: step.command,
          cwd: opts.cwd,
          env: { CI: '1', NO_COLOR: '1', TERM: 'dumb', STINT_SETUP: '1' },
          timeoutMs: left,
          maxOutputBytes: opts.maxOutputBytes,
          signal: local.signal,
          onOutput: (chunk) => out.push(chunk),
        })
        .then(
          (r) => {
            result = r;
          },
          (e: unknown) => {
            failure = e;
          },
        );
      while (result === undefined && failure === undefined) {
        await Promise.race([running, sleep(flushMs / 4)]);
        await show(false);
      }
    } finally {
      opts.signal.removeEventListener('abort', stop);
      local.abort();
    }
    opts.signal.throwIfAborted();
    await show(true);
    if (result === undefined) {
      const why = (failure as Error | undefined)?.message ?? 'unknown error';
      return { ok: false, reason: `Setup could not start \`${step.label}\`: ${why}`, ms: elapsed() };
    }
    const tail = out.tail(TAIL_CHARS);
    if (result.timedOut)
      return { ok: false, reason: timeoutReason(opts.plan, step.label, tail), ms: elapsed() };
    if (result.exitCode !== 0) {
      const last = tail ? `\nLast output:\n${tail}` : ' (no output)';
      return {
        ok: false,
        reason: `Setup failed: \`${step.label}\` exited with code ${result.exitCode}.${last}`,
        ms: elapsed(),
      };
    }
  }
  return { ok: true, ms: elapsed() };
}

function timeoutReason(plan: SetupPlan, label: string, tail: string): string {
  const limit = formatDuration(plan.timeoutMs);
  const last = tail ? `\nLast output:\n${tail}` : '';
  return `Setup did not finish within ${limit} (the time limit of setup; it was running \`${label}\`).${last}`;
}

export function formatDuration(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
