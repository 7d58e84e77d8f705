/**
 * Follows a session until it ends: polls GET session, then the activities created after the last one
 * seen (`filter=create_time>"…"`, every page), prints each activity once, and on a terminal keeps a
 * spinner line with the state and elapsed time. Reading activities after the session makes a terminal
 * state's last activities arrive in the same round (they are committed together).
 */
import type { StintApi } from './api.ts';
import { type Session, TERMINAL, WAITING } from './api-types.ts';
import { EXIT } from './exit-codes.ts';
import { clock, elapsed, stateLabel } from './format.ts';
import { LiveLine } from './live-line.ts';
import { renderActivity } from './render-activity.ts';
import type { OutStream, Style } from './terminal.ts';

export interface WatchOptions {
  api: StintApi;
  id: string;
  /** Where the human view goes (stdout, or stderr when stdout carries JSON). */
  out: OutStream;
  style: Style;
  /** Spinner and elapsed time (a terminal). */
  live: boolean;
  /** Print each activity as one JSON line instead of the human view. */
  ndjson?: boolean;
  intervalMs: number;
  /** Keep following while the session waits for a person instead of exiting with EXIT.WAITING. */
  keepWaiting: boolean;
  diffLines: number;
  /** Show only activities created after this one (RFC 3339); default: the whole history. */
  since?: string | undefined;
}

export interface WatchResult {
  session: Session;
  exitCode: number;
}

export function waitingHint(s: Session): string {
  switch (s.state) {
    case 'AWAITING_PLAN_APPROVAL':
      return `The plan waits for your approval. Approve it and keep following: stint approve ${s.id} --wait`;
    case 'AWAITING_USER_FEEDBACK':
      return `The agent waits for your answer. Reply and keep following: stint say ${s.id} "your answer" --wait`;
    default:
      return `The session is paused. Resume it: stint resume ${s.id}`;
  }
}

function endSummary(s: Session): string[] {
  const took = elapsed(Date.parse(s.updateTime ?? s.createTime) - Date.parse(s.createTime));
  if (s.state === 'FAILED') return [`Session ${s.id} failed after ${took}.`];
  const lines = [`Session ${s.id} completed in ${took}.`];
  for (const o of s.outputs ?? []) {
    if (o.pullRequest) lines.push(`Pull request: ${o.pullRequest.url}`);
  }
  if ((s.outputs ?? []).some((o) => o.changeSet?.gitPatch?.unidiffPatch)) {
    lines.push(`Apply the changes to your checkout: stint pull ${s.id}`);
  }
  return lines;
}

export async function watchSession(opts: WatchOptions): Promise<WatchResult> {
  const { api, style } = opts;
  const seen = new Set<string>();
  let last = opts.since;
  let session: Session | undefined;
  let hinted: string | undefined;
  const human = !opts.ndjson;
  const status = () => {
    if (!session) return 'connecting…';
    const since = elapsed(Date.now() - Date.parse(session.createTime));
    return `${session.state} · ${since} · ${session.title ?? session.id}`;
  };
  const live = opts.live && human ? new LiveLine(opts.out, style, status) : undefined;
  const emit = (lines: string[]) =>
    live ? live.print(lines) : lines.length && opts.out.write(`${lines.join('\n')}\n`);
  live?.start();
  try {
    for (;;) {
      const previous = session?.state;
      session = await api.getSession(opts.id);
      const lines: string[] = [];
      for (const a of await api.activitiesAfter(opts.id, last)) {
        if (seen.has(a.id)) continue;
        seen.add(a.id);
        last = a.createTime;
        if (human) lines.push(...renderActivity(a, { style, diffLines: opts.diffLines, detailLines: 20 }));
        else opts.out.write(`${JSON.stringify(a)}\n`);
      }
      if (human && session.state !== previous && !live && !TERMINAL.has(session.state)) {
        lines.push(
          `${style.dim(clock(session.updateTime ?? session.createTime))}  ${style.dim('State:')} ${stateLabel(session.state, style)}`,
        );
      }
      emit(lines);
      live?.refresh();
      if (TERMINAL.has(session.state)) {
        live?.stop();
        if (human)
          emit(endSummary(session).map((l) => (session?.state === 'FAILED' ? style.red(l) : style.green(l))));
        return { session, exitCode: session.state === 'COMPLETED' ? EXIT.OK : EXIT.FAILED };
      }
      if (WAITING.has(session.state)) {
        if (hinted !== session.state) {
          hinted = session.state;
          const hint = style.yellow(waitingHint(session));
          if (human) emit([hint]);
          else process.stderr.write(`${waitingHint(session)}\n`);
        }
        if (!opts.keepWaiting) {
          live?.stop();
          return { session, exitCode: EXIT.WAITING };
        }
      } else {
        hinted = undefined;
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  } finally {
    live?.stop();
  }
}
