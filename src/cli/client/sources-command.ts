/** `stint sources ls`: the sources the server offers this key, through the API. */
import type { Command } from 'commander';
import {
  addServerOption,
  clientAction,
  connect,
  printJson,
  type ServerFlag,
  stdoutStyle,
} from './command-kit.ts';
import { sourceId, table } from './format.ts';
import { terminalWidth } from './terminal.ts';

export function registerSourcesLs(sources: Command): void {
  addServerOption(sources.command('ls'))
    .description(
      'List the sources the server offers you (API client; see `list` for the data-dir admin view).',
    )
    .option('--json', 'print {sources} as the API does')
    .action(
      clientAction(async (f: ServerFlag & { json?: boolean }) => {
        const all = await connect(f).allSources();
        if (f.json) return printJson({ sources: all });
        if (all.length === 0) {
          process.stderr.write('No sources. An admin adds them with `stint sources add`.\n');
          return;
        }
        const style = stdoutStyle();
        const rows = all.map((s) => {
          const repo = s.githubRepo ?? s.gitRepo;
          return [
            sourceId(s.name),
            repo?.defaultBranch?.displayName ?? '',
            String(repo?.branches?.length ?? 0),
            repo?.isPrivate ? 'private' : 'public',
          ];
        });
        process.stdout.write(
          table(
            ['SOURCE', 'DEFAULT BRANCH', 'BRANCHES', 'VISIBILITY'],
            rows,
            style,
            terminalWidth(process.stdout),
            0,
          ),
        );
      }),
    );
}
