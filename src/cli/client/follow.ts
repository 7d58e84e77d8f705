/** The options every command that follows a session shares (watch, new/approve/say/resume --wait). */
import type { Command } from 'commander';
import type { StintApi } from './api.ts';
import { intOption, secondsOption } from './command-kit.ts';
import { EXIT } from './exit-codes.ts';
import { colorEnabled, isInteractive, makeStyle, type OutStream } from './terminal.ts';
import { type WatchResult, watchSession } from './watch.ts';

export interface FollowFlags {
  interval?: string;
  keepWaiting?: boolean;
  diffLines?: string;
}

export function addFollowOptions(cmd: Command): Command {
  return cmd
    .option('--interval <seconds>', 'how often to poll the server', '1.5')
    .option('--keep-waiting', 'keep following while the session waits for you (approve or reply elsewhere)')
    .option('--diff-lines <n>', 'lines of each diff to show, 0 for all', '200');
}

export interface FollowSettings {
  intervalMs: number;
  keepWaiting: boolean;
  diffLines: number;
}

/** Validates the flags up front (before a session is created or approved). */
export function followSettings(flags: FollowFlags): FollowSettings {
  return {
    intervalMs: secondsOption('--interval', flags.interval ?? '1.5'),
    keepWaiting: flags.keepWaiting === true,
    diffLines: intOption('--diff-lines', flags.diffLines ?? '200', 0, 1_000_000),
  };
}

/** Follows to the end on `out` (stdout, or stderr when stdout carries JSON). */
export async function follow(
  api: StintApi,
  id: string,
  settings: FollowSettings,
  out: OutStream & NodeJS.WritableStream = process.stdout,
  ndjson = false,
  since?: string,
): Promise<WatchResult> {
  api.http.setRetryFor(5 * 60_000);
  const onInterrupt = (signal: NodeJS.Signals) => {
    if (isInteractive(out)) out.write('\r\x1b[2K\x1b[?25h');
    process.stderr.write(`Stopped following; the session goes on. Follow it again: stint watch ${id}\n`);
    process.exit(signal === 'SIGINT' ? EXIT.INTERRUPTED : 143);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await watchSession({
      api,
      id,
      out,
      style: makeStyle(colorEnabled(out)),
      live: isInteractive(out),
      ndjson,
      since,
      ...settings,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** The createTime of the session's latest activity, to follow only what comes after an action. */
export async function latestActivityTime(api: StintApi, id: string): Promise<string | undefined> {
  return (await api.activitiesAfter(id)).at(-1)?.createTime;
}
