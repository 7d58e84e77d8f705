/** What every client command shares: --server, connecting with a key, session ids, errors and exit codes. */
import type { Command } from 'commander';
import { StintApi } from './api.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';
import { HttpClient } from './http-client.ts';
import { resolveConnection } from './settings.ts';
import { colorEnabled, isInteractive, makeStyle, type Style } from './terminal.ts';

export const CLIENT_GROUP = 'Client commands (talk to a server: --server URL or STINT_SERVER):';
const VERSION = '0.1.0';

const EXIT_HELP = `
API key: STINT_API_KEY, else the key \`stint login\` saved for the server.
Exit codes: 0 done (session COMPLETED), 1 session FAILED, 2 usage or configuration, 3 session waits
for you, 4 refused by the server, 5 server unreachable, 6 pull could not apply. See docs/cli.md.`;

export interface ServerFlag {
  server?: string;
}

export function addServerOption(cmd: Command): Command {
  return cmd
    .helpGroup(CLIENT_GROUP)
    .option(
      '--server <url>',
      'server origin (STINT_SERVER; default: the server of `stint login`, else http://127.0.0.1:8080)',
    )
    .addHelpText('after', EXIT_HELP);
}

const warn = (line: string) => process.stderr.write(`${line}\n`);

export function connect(flags: ServerFlag): StintApi {
  const conn = resolveConnection(flags, process.env, warn);
  if (!conn.apiKey) {
    throw usageError(
      `no API key for ${conn.origin}`,
      `Set STINT_API_KEY, or run \`stint login --server ${conn.origin}\` once.`,
    );
  }
  return new StintApi(
    new HttpClient({ origin: conn.origin, apiKey: conn.apiKey, userAgent: `stint-cli/${VERSION}` }),
  );
}

/** Accepts `ID`, `sessions/ID` or a session URL ending in /sessions/ID. */
export function sessionId(arg: string): string {
  const m = /(?:^|\/)sessions\/([^/?#]+)\/?(?:[?#].*)?$/.exec(arg.trim());
  const id = m ? decodeURIComponent(m[1]!) : arg.trim();
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(id)) throw usageError(`'${arg}' is not a session id`);
  return id;
}

export const stdoutStyle = (): Style => makeStyle(colorEnabled(process.stdout));
export const stdoutLive = () => isInteractive(process.stdout);

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Reports an error as `stint: message` (+ hint) on stderr and returns the exit code for it. */
export function reportError(e: unknown): number {
  const style = makeStyle(colorEnabled(process.stderr));
  if (e instanceof CliError) {
    process.stderr.write(`${style.red('stint:')} ${e.message}\n`);
    if (e.hint) process.stderr.write(`${style.dim(e.hint)}\n`);
    return e.exitCode;
  }
  process.stderr.write(`${style.red('stint:')} ${(e as Error)?.message ?? String(e)}\n`);
  return EXIT.FAILED;
}

/** `stint ls | head` closes our stdout early: that is the reader's choice, not an error. */
function quietOnClosedPipe(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    throw e;
  });
}

/** Wraps a command action: a number it returns (else 0) or its error decides the exit code. */
export function clientAction<A extends unknown[]>(fn: (...args: A) => Promise<unknown>) {
  return async (...args: A): Promise<void> => {
    quietOnClosedPipe();
    let code: number;
    try {
      const result = await fn(...args);
      code = typeof result === 'number' ? result : EXIT.OK;
    } catch (e) {
      code = reportError(e);
    }
    process.exitCode = code;
  };
}

/** Positive number of seconds -> ms, for --interval. */
export function secondsOption(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600)
    throw usageError(`${name} must be between 0.1 and 3600 seconds; got '${raw}'`);
  return Math.round(n * 1000);
}

export function intOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw usageError(`${name} must be an integer from ${min} to ${max}; got '${raw}'`);
  return n;
}
