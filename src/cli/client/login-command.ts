/** `stint login` / `stint logout`: keep an API key per server in the client config file (mode 0600). */
import type { Command } from 'commander';
import { StintApi } from './api.ts';
import { addServerOption, clientAction, print, type ServerFlag } from './command-kit.ts';
import { usageError } from './exit-codes.ts';
import { HttpClient } from './http-client.ts';
import { readSecret, readStdin, stdinIsTTY } from './prompt.ts';
import { configPath, DEFAULT_SERVER, normalizeOrigin, readConfigFile, writeConfigFile } from './settings.ts';

const warn = (line: string) => process.stderr.write(`${line}\n`);

function origin(f: ServerFlag, fileServer: string | undefined): string {
  return normalizeOrigin(f.server || process.env.STINT_SERVER || fileServer || DEFAULT_SERVER);
}

export function registerLoginCommands(program: Command): void {
  addServerOption(program.command('login'))
    .description(
      'Save an API key for a server (asked for on a terminal, else read from stdin) and make it the default server.',
    )
    .action(
      clientAction(async (f: ServerFlag) => {
        const path = configPath();
        const file = readConfigFile(path, warn);
        const server = origin(f, file.server);
        const key = (
          stdinIsTTY() ? await readSecret(`API key for ${server}: `) : await readStdin(64 * 1024)
        ).trim();
        if (key === '')
          throw usageError(
            'no API key given',
            `Paste it when asked, or: echo "$KEY" | stint login --server ${server}`,
          );
        if (/\s/.test(key)) throw usageError('an API key has no spaces or line breaks');
        // Check the key before saving it: a 401 here says so with the server's message.
        await new StintApi(new HttpClient({ origin: server, apiKey: key })).listSessions({ pageSize: 1 });
        writeConfigFile(path, { ...file, server, keys: { ...file.keys, [server]: key } });
        print(`Logged in to ${server}. The key is saved in ${path} (readable only by you).`);
        if (process.env.STINT_API_KEY)
          warn('stint: note: STINT_API_KEY is set and takes precedence over the saved key.');
      }),
    );

  addServerOption(program.command('logout'))
    .description('Forget the API key saved for a server.')
    .action(
      clientAction(async (f: ServerFlag) => {
        const path = configPath();
        const file = readConfigFile(path, warn);
        const server = origin(f, file.server);
        if (!file.keys?.[server]) {
          print(`No key saved for ${server}.`);
          return;
        }
        const { [server]: _removed, ...keys } = file.keys;
        writeConfigFile(path, { ...file, keys });
        print(`Forgot the key for ${server}.`);
      }),
    );
}
