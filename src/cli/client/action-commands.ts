/** Commands that act on one session: watch, approve, say, pull, archive/unarchive, pause/resume/cancel, rm. */
import type { Command } from 'commander';
import {
  addServerOption,
  clientAction,
  connect,
  print,
  type ServerFlag,
  sessionId,
  stdoutStyle,
} from './command-kit.ts';
import { statLines } from './diff.ts';
import { usageError } from './exit-codes.ts';
import { addFollowOptions, type FollowFlags, follow, followSettings, latestActivityTime } from './follow.ts';
import { stateLabel } from './format.ts';
import { confirm, readStdin, stdinIsTTY } from './prompt.ts';
import { pullSession } from './pull.ts';

type WaitFlags = ServerFlag & FollowFlags & { wait?: boolean };

const warn = (line: string) => process.stderr.write(`${line}\n`);

export function registerActionCommands(program: Command): void {
  addFollowOptions(addServerOption(program.command('watch <id>')))
    .description(
      'Follow a session live until it ends: exit 0 when COMPLETED, 1 when FAILED, 3 when it waits for you.',
    )
    .option('--json', 'print each new activity as one line of JSON instead')
    .action(
      clientAction(async (arg: string, f: WaitFlags & { json?: boolean }) => {
        const settings = followSettings(f);
        return (await follow(connect(f), sessionId(arg), settings, process.stdout, f.json === true)).exitCode;
      }),
    );

  addFollowOptions(addServerOption(program.command('approve <id>')))
    .description('Approve the plan of a session waiting in AWAITING_PLAN_APPROVAL.')
    .option('--wait', 'then follow the session like `stint watch`')
    .action(
      clientAction(async (arg: string, f: WaitFlags) => {
        const settings = followSettings(f);
        const id = sessionId(arg);
        const api = connect(f);
        const since = f.wait ? await latestActivityTime(api, id) : undefined;
        await api.approvePlan(id);
        print(`Approved the plan of session ${id}.`);
        if (f.wait) return (await follow(api, id, settings, process.stdout, false, since)).exitCode;
      }),
    );

  addFollowOptions(addServerOption(program.command('say <id> [message]')))
    .description('Send the agent a message (an answer, a correction); `-` or a pipe reads it from stdin.')
    .option('--wait', 'then follow the session like `stint watch`')
    .action(
      clientAction(async (arg: string, message: string | undefined, f: WaitFlags) => {
        const settings = followSettings(f);
        const id = sessionId(arg);
        const text =
          message === '-' || (message === undefined && !stdinIsTTY()) ? await readStdin() : (message ?? '');
        if (text.trim() === '')
          throw usageError('the message is empty', `Usage: stint say ${id} "your message"`);
        const api = connect(f);
        const since = f.wait ? await latestActivityTime(api, id) : undefined;
        await api.sendMessage(id, text);
        print(`Sent to session ${id}.`);
        if (f.wait) return (await follow(api, id, settings, process.stdout, false, since)).exitCode;
      }),
    );

  addServerOption(program.command('pull <id>'))
    .description("Apply a session's changes to the git checkout you are in (with git apply).")
    .option('--force', 'apply even when tracked files have uncommitted changes')
    .option('--3way', 'fall back to a 3-way merge when the patch does not apply cleanly')
    .option('--check', 'only check that the patch applies; change nothing')
    .action(
      clientAction(
        async (arg: string, f: ServerFlag & { force?: boolean; '3way'?: boolean; check?: boolean }) => {
          const id = sessionId(arg);
          const session = await connect(f).getSession(id);
          const result = await pullSession(session, {
            cwd: process.cwd(),
            force: f.force === true,
            threeWay: f['3way'] === true,
            checkOnly: f.check === true,
            warn,
          });
          const style = stdoutStyle();
          const n = result.files.length;
          const what = `${n} file${n === 1 ? '' : 's'} from session ${id}`;
          print(
            f.check
              ? `The patch applies cleanly to ${result.toplevel}: ${what}`
              : `Applied ${what} to ${result.toplevel}:`,
          );
          print(
            statLines(result.files, style)
              .map((l) => `  ${l}`)
              .join('\n'),
          );
          if (!f.check) {
            const msg = result.patch.suggestedCommitMessage?.trim();
            if (msg) print(`Suggested commit message:\n  ${msg.split('\n').join('\n  ')}`);
            print(style.dim('Review with `git status` and `git diff`, then commit.'));
          }
        },
      ),
    );

  const verbs: [string, string, string][] = [
    ['archive', 'Archived', 'Archive sessions (hidden from `stint ls` unless --archived).'],
    ['unarchive', 'Unarchived', 'Bring archived sessions back.'],
    ['pause', 'Paused', 'Pause sessions at their next safe point.'],
    ['resume', 'Resumed', 'Resume paused sessions.'],
    ['cancel', 'Cancelled', 'Stop sessions for good (they end FAILED with reason "cancelled").'],
  ];
  for (const [verb, done, description] of verbs) {
    addServerOption(program.command(`${verb} <ids...>`))
      .description(description)
      .action(
        clientAction(async (args: string[], f: ServerFlag) => {
          const ids = args.map(sessionId);
          const api = connect(f);
          const style = stdoutStyle();
          for (const id of ids) {
            const s = await api.sessionMethod(id, verb);
            print(`${done} session ${id} (${stateLabel(s.state, style)}).`);
          }
        }),
      );
  }

  addServerOption(program.command('rm <ids...>'))
    .description('Delete sessions: stops their work and removes them with their activities.')
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .action(
      clientAction(async (args: string[], f: ServerFlag & { yes?: boolean }) => {
        const ids = args.map(sessionId);
        if (!f.yes) {
          if (!stdinIsTTY()) throw usageError('refusing to delete without confirmation', 'Pass --yes.');
          const what = ids.length === 1 ? `session ${ids[0]}` : `${ids.length} sessions`;
          if (!(await confirm(`Delete ${what}? This cannot be undone.`))) {
            process.stderr.write('Nothing deleted.\n');
            return;
          }
        }
        const api = connect(f);
        for (const id of ids) {
          await api.deleteSession(id);
          print(`Deleted session ${id}.`);
        }
      }),
    );
}
