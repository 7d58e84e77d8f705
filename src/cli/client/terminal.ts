/** TTY detection and ANSI styling: colours and live views only on a terminal, honouring NO_COLOR/FORCE_COLOR. */

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

/** A live view (spinner, redrawn line) needs a real terminal. */
export function isInteractive(stream: OutStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function colorEnabled(stream: OutStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isInteractive(stream, env);
}

const wrap = (on: boolean, open: number, close: number) => (s: string) =>
  on && s !== '' ? `\x1b[${open}m${s}\x1b[${close}m` : s;

export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    blue: wrap(enabled, 34, 39),
    magenta: wrap(enabled, 35, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

export function styleFor(stream: OutStream, env: NodeJS.ProcessEnv = process.env): Style {
  return makeStyle(colorEnabled(stream, env));
}

export function terminalWidth(stream: OutStream): number {
  return stream.isTTY && stream.columns && stream.columns > 20 ? stream.columns : 120;
}

/** Removes ANSI escapes, e.g. to measure what a styled string occupies. */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
