/** `stint new`, `stint ls`, `stint show`: create, list and read sessions. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SESSION_STATES } from '../../domain/states.ts';
import type { CreateSessionBody, SessionPage } from './api.ts';
import type { Session } from './api-types.ts';
import {
  addServerOption,
  clientAction,
  connect,
  intOption,
  print,
  printJson,
  type ServerFlag,
  sessionId,
  stdoutStyle,
} from './command-kit.ts';
import { usageError } from './exit-codes.ts';
import { addFollowOptions, type FollowFlags, follow, followSettings } from './follow.ts';
import { age, sessionSource, stateLabel, table } from './format.ts';
import { readStdin, stdinIsTTY } from './prompt.ts';
import { renderSession } from './render-session.ts';
import { terminalWidth } from './terminal.ts';

const STATES: readonly string[] = SESSION_STATES;

interface NewFlags extends ServerFlag, FollowFlags {
  source?: string;
  branch?: string;
  title?: string;
  requireApproval?: boolean;
  autoPr?: boolean;
  promptFile?: string;
  wait?: boolean;
  json?: boolean;
}

async function promptText(arg: string | undefined, file: string | undefined): Promise<string> {
  if (arg !== undefined && file !== undefined)
    throw usageError('give the prompt as an argument or --prompt-file, not both');
  let text: string;
  if (file === '-' || arg === '-' || (arg === undefined && file === undefined && !stdinIsTTY()))
    text = await readStdin();
  else if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw usageError(`cannot read --prompt-file ${file}: ${(e as Error).message}`);
    }
  } else text = arg ?? '';
  if (text.trim() === '')
    throw usageError('the prompt is empty', 'Usage: stint new "what to do" [--source github/OWNER/REPO]');
  return text;
}

export function createBody(prompt: string, f: NewFlags): CreateSessionBody {
  if (f.branch !== undefined && f.source === undefined) throw usageError('--branch needs --source');
  const body: CreateSessionBody = { prompt };
  if (f.title !== undefined) body.title = f.title;
  if (f.requireApproval) body.requirePlanApproval = true;
  body.automationMode = f.autoPr ? 'AUTO_CREATE_PR' : 'AUTOMATION_MODE_UNSPECIFIED';
  if (f.source !== undefined) {
    const source = f.source.startsWith('sources/') ? f.source : `sources/${f.source}`;
    body.sourceContext = { source, ...(f.branch ? { githubRepoContext: { startingBranch: f.branch } } : {}) };
  }
  return body;
}

export function registerSessionCommands(program: Command): void {
  addFollowOptions(
    addServerOption(program.command('new [prompt]'))
      .description('Start a session: `stint new "Add a CLI flag" --source github/acme/widgets --wait`.')
      .option('--source <id>', 'repository to work on, e.g. github/acme/widgets (see `stint sources ls`)')
      .option('--branch <branch>', "starting branch (default: the source's default branch)")
      .option('--title <title>', 'title (default: made from the prompt)')
      .option('--require-approval', 'wait for `stint approve` before working on the plan')
      .option('--auto-pr', 'open a pull request when done (AUTO_CREATE_PR)')
      .option(
        '--prompt-file <file>',
        'read the prompt from a file (- for stdin; stdin is also read when piped)',
      )
      .option('--wait', 'follow the session like `stint watch` and exit with its code')
      .option('--json', 'print the created session (with --wait: the final one) as JSON'),
  ).action(
    clientAction(async (arg: string | undefined, f: NewFlags) => {
      const settings = followSettings(f);
      const body = createBody(await promptText(arg, f.promptFile), f);
      const api = connect(f);
      const created = await api.createSession(body);
      if (!f.wait) {
        if (f.json) printJson(created);
        else {
          const style = stdoutStyle();
          print(
            `Created session ${style.bold(created.id)}: ${created.title ?? ''} (${stateLabel(created.state, style)})`,
          );
          if (created.url) print(`  ${created.url}`);
          print(`Follow it: stint watch ${created.id}`);
        }
        return;
      }
      const out = f.json ? process.stderr : process.stdout;
      out.write(`Created session ${created.id}: ${created.title ?? ''}\n`);
      const result = await follow(api, created.id, settings, out);
      if (f.json) printJson(result.session);
      return result.exitCode;
    }),
  );

  addServerOption(program.command('ls'))
    .description('List your sessions, newest first.')
    .option('--state <state>', `only sessions in this state (${STATES.join(', ')})`)
    .option('--source <id>', 'only sessions on this source, e.g. github/acme/widgets')
    .option('--archived', 'list archived sessions instead')
    .option('--limit <n>', 'how many to list', '30')
    .option('--all', 'list every session (pages through all)')
    .option('--page-token <token>', 'continue a listing where the last one stopped')
    .option('--json', 'print {sessions, nextPageToken} as the API does')
    .action(
      clientAction(
        async (
          f: ServerFlag & {
            state?: string;
            source?: string;
            archived?: boolean;
            limit: string;
            all?: boolean;
            pageToken?: string;
            json?: boolean;
          },
        ) => {
          const limit = f.all ? Number.POSITIVE_INFINITY : intOption('--limit', f.limit, 1, 100_000);
          const terms: string[] = [];
          if (f.state !== undefined) {
            const state = f.state.toUpperCase();
            if (!STATES.includes(state))
              throw usageError(`--state must be one of ${STATES.join(', ')}; got '${f.state}'`);
            terms.push(`state = ${state}`);
          }
          if (f.source !== undefined)
            terms.push(`source = "${f.source.startsWith('sources/') ? f.source : `sources/${f.source}`}"`);
          if (f.archived) terms.push('archived = true');
          const api = connect(f);
          const page: SessionPage = { sessions: [] };
          let token = f.pageToken;
          do {
            const pageSize = Math.min(100, limit - page.sessions.length);
            const next = await api.listSessions({
              pageSize,
              pageToken: token,
              filter: terms.join(' AND ') || undefined,
            });
            page.sessions.push(...next.sessions);
            token = next.sessions.length > 0 ? next.nextPageToken : undefined;
          } while (token && page.sessions.length < limit);
          if (token) page.nextPageToken = token;
          if (f.json) return printJson(page);
          printSessionTable(page.sessions);
          if (token)
            process.stderr.write(
              `More: stint ls --page-token ${token}${f.limit !== '30' ? ` --limit ${f.limit}` : ''}\n`,
            );
        },
      ),
    );

  addServerOption(program.command('show <id>'))
    .description('Show a session: state, source, outputs and its latest activity.')
    .option('--patch', 'print only the patch of its changes (colored on a terminal)')
    .option('--json', 'print the session as the API returns it')
    .action(
      clientAction(async (arg: string, f: ServerFlag & { patch?: boolean; json?: boolean }) => {
        const id = sessionId(arg);
        const api = connect(f);
        const session = await api.getSession(id);
        if (f.json) return printJson(session);
        const activities = f.patch ? [] : await api.activitiesAfter(id);
        print(renderSession(session, activities, stdoutStyle(), f.patch === true));
      }),
    );
}

function printSessionTable(sessions: Session[]): void {
  if (sessions.length === 0) {
    process.stderr.write('No sessions.\n');
    return;
  }
  const style = stdoutStyle();
  const now = Date.now();
  const rows = sessions.map((s) => [
    s.id,
    stateLabel(s.state, style),
    age(s.updateTime ?? s.createTime, now),
    sessionSource(s),
    s.title ?? '',
  ]);
  process.stdout.write(
    table(['ID', 'STATE', 'UPDATED', 'SOURCE', 'TITLE'], rows, style, terminalWidth(process.stdout)),
  );
}
