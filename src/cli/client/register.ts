/**
 * Registers the client commands, which talk to a Stint server over HTTP (`--server`/STINT_SERVER, key
 * from STINT_API_KEY or `stint login`), beside the server/admin commands that open a data dir.
 * `stint sources ls` is the client listing; `stint sources add|list|remove` stay the admin commands.
 */
import { type Command, CommanderError } from 'commander';
import { wireSettingsFile } from '../config-file.ts';
import { registerActionCommands } from './action-commands.ts';
import { EXIT } from './exit-codes.ts';
import { registerLoginCommands } from './login-command.ts';
import { registerSessionCommands } from './session-commands.ts';
import { registerSourcesLs } from './sources-command.ts';

const ADMIN_GROUP = 'Server and admin commands (on this machine: --data-dir or STINT_DATA_DIR):';

/** Usage errors exit 2 (commander's own is 1); help and --version exit 0. */
function usageExit(cmd: Command): void {
  cmd.exitOverride((err) => {
    throw err.exitCode === 0 ? err : new CommanderError(EXIT.USAGE, err.code, err.message);
  });
  for (const sub of cmd.commands) usageExit(sub);
}

export function registerClientCommands(program: Command): void {
  for (const cmd of program.commands) {
    if (!cmd.helpGroup()) cmd.helpGroup(ADMIN_GROUP);
  }
  wireSettingsFile(program);
  const before = new Set(program.commands);
  registerSessionCommands(program);
  registerActionCommands(program);
  registerLoginCommands(program);

  let sources = program.commands.find((c) => c.name() === 'sources');
  if (!sources) sources = program.command('sources').description('Repositories sessions can work on.');
  sources.description(
    'Repositories sessions work on: `sources ls` lists them from a server; `sources add|list|remove` manage a data dir.',
  );
  registerSourcesLs(sources);
  for (const cmd of program.commands) if (!before.has(cmd)) usageExit(cmd);
  const ls = sources.commands.find((c) => c.name() === 'ls');
  if (ls) usageExit(ls);
}
