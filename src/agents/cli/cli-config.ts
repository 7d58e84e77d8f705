/**
 * Which external coding-agent CLI the `cli` agent runs, and how: a known preset (claude, codex,
 * gemini, aider), or an argument template of the operator's. `{prompt}` in an argument is replaced
 * by the task, `{promptFile}` by the path of a file holding it; without either the task is
 * appended as the last argument.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface CliAgentConfig {
  /** Shown in activities, e.g. "claude". */
  name: string;
  /** The command's arguments, program first, with placeholders. */
  template: string[];
  /** Wall-time limit of one run of the CLI. */
  timeoutMs: number;
}

/** Non-interactive invocations that let each tool edit files and run commands without asking. */
export const CLI_PRESETS: Readonly<Record<string, readonly string[]>> = {
  claude: ['claude', '-p', '{prompt}', '--permission-mode', 'bypassPermissions'],
  codex: ['codex', 'exec', '--full-auto', '--skip-git-repo-check', '{prompt}'],
  gemini: ['gemini', '--yolo', '--prompt', '{prompt}'],
  aider: [
    'aider',
    '--yes-always',
    '--no-auto-commits',
    '--no-gitignore',
    '--no-pretty',
    '--no-check-update',
    '--analytics-disable',
    '--chat-history-file',
    '/dev/null',
    '--input-history-file',
    '/dev/null',
    '--message',
    '{prompt}',
  ],
};

type Fail = (message: string) => Error;

export function parseCliAgentConfig(env: NodeJS.ProcessEnv, fail: Fail): CliAgentConfig {
  const timeoutMin = env.STINT_CLI_AGENT_TIMEOUT_MINUTES;
  const minutes = timeoutMin === undefined || timeoutMin === '' ? 60 : Number(timeoutMin);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
    throw fail(`STINT_CLI_AGENT_TIMEOUT_MINUTES must be an integer between 1 and 1440; got '${timeoutMin}'.`);
  }
  const timeoutMs = minutes * 60_000;
  const custom = env.STINT_CLI_AGENT_COMMAND?.trim();
  const named = env.STINT_CLI_AGENT?.trim();
  if (custom) {
    const template = parseTemplate(custom, fail);
    return { name: named || template[0]!.split('/').at(-1)!, template, timeoutMs };
  }
  if (named) {
    const preset = CLI_PRESETS[named];
    if (!preset) {
      throw fail(
        `STINT_CLI_AGENT must be one of ${Object.keys(CLI_PRESETS).join(', ')} (or set STINT_CLI_AGENT_COMMAND); got '${named}'.`,
      );
    }
    return { name: named, template: [...preset], timeoutMs };
  }
  const found = Object.keys(CLI_PRESETS).find((name) => onPath(name, env.PATH));
  if (!found) {
    throw fail(
      `--agent cli needs STINT_CLI_AGENT (${Object.keys(CLI_PRESETS).join(', ')}) or STINT_CLI_AGENT_COMMAND; none of those CLIs is on PATH.`,
    );
  }
  return { name: found, template: [...CLI_PRESETS[found]!], timeoutMs };
}

/** A JSON array of strings, or words separated by spaces with '…' and "…" quoting. */
export function parseTemplate(raw: string, fail: Fail): string[] {
  let words: string[];
  if (raw.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw fail('STINT_CLI_AGENT_COMMAND: not a valid JSON array of strings.');
    }
    if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) {
      throw fail('STINT_CLI_AGENT_COMMAND: must be a JSON array of strings.');
    }
    words = parsed;
  } else {
    words = splitWords(raw, fail);
  }
  if (words.length === 0 || words[0] === '') throw fail('STINT_CLI_AGENT_COMMAND: names no program.');
  return words;
}

function splitWords(raw: string, fail: Fail): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (const ch of raw) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw fail('STINT_CLI_AGENT_COMMAND: unbalanced quote.');
  if (inWord) words.push(cur);
  return words;
}

function onPath(program: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

/** Quotes one argument for /bin/sh. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell command line for a run. The task is read from `promptFile` when the command runs
 * (`"$(cat FILE)"`), so however long it is, the command line stays short; `{promptFile}` is the
 * file's path. Every literal part is quoted.
 */
export function commandLine(template: readonly string[], promptFile: string): string {
  const fromFile = `"$(cat ${shellQuote(promptFile)})"`;
  const uses = template.some((w) => /\{prompt(File)?\}/.test(w));
  const words = template.map((w) =>
    w === ''
      ? "''"
      : w
          .split(/(\{prompt(?:File)?\})/)
          .map((part) =>
            part === '{prompt}'
              ? fromFile
              : part === '{promptFile}'
                ? shellQuote(promptFile)
                : part === ''
                  ? ''
                  : shellQuote(part),
          )
          .join(''),
  );
  if (!uses) words.push(fromFile);
  return words.join(' ');
}
