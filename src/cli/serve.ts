import type { Command } from 'commander';
import { buildConfig, type ServeFlags } from '../config.ts';
import { addRunnerOptions } from './runner-options.ts';
import { exitOnSignal } from './shutdown.ts';

export function registerServeCommand(program: Command): void {
  addRunnerOptions(
    program
      .command('serve')
      .description('Serve the API (and run sessions) with the embedded store by default.')
      .option('--host <host>', 'address to listen on (STINT_HOST)', undefined)
      .option('--port <port>', 'port to listen on, 0 for any free port (STINT_PORT)')
      .option('--data-dir <dir>', 'where the store and workspaces live (STINT_DATA_DIR)')
      .option('--public-url <url>', 'origin used in session urls (STINT_PUBLIC_URL)')
      .option('--no-worker', 'serve the API only; do not run sessions'),
  ).action(async (flags: ServeFlags, cmd: Command) => {
    // commander defaults a --no-x flag to true; only an explicit --no-worker may override STINT_NO_WORKER.
    if (cmd.getOptionValueSource('worker') !== 'cli') delete flags.worker;
    const config = buildConfig(flags);
    const { createStint } = await import('../server.ts');
    const stint = await createStint(config);
    const origin = await stint.listen();
    // One write, so whoever waits for the first line also gets the rest of the banner.
    const banner = [`Stint listening on ${origin}`, `API: ${origin}/v1alpha   data: ${config.dataDir}`];
    // Loud, and on stderr too: e.g. agent commands run without isolation.
    for (const warning of stint.warnings) process.stderr.write(`WARNING: ${warning}\n`);
    if (stint.firstAdminKey) {
      banner.push(`First start: your admin API key (shown once, store it now): ${stint.firstAdminKey}`);
    }
    if (config.agent === 'scripted') {
      banner.push(
        'Agent: scripted (deterministic; runs the stint-script in each prompt). Configure a model for real work.',
      );
    }
    if (config.agent === 'llm' && config.model) {
      const at = config.model.baseUrl ? ` at ${config.model.baseUrl}` : '';
      banner.push(`Agent: llm (${config.model.provider}:${config.model.model}${at})`);
    }
    if (config.agent === 'cli' && config.cliAgent) {
      banner.push(`Agent: ${config.cliAgent.name} (external CLI)`);
    }
    process.stdout.write(`${banner.join('\n')}\n`);
    exitOnSignal(stint.log, 'shutting down', () => stint.close(), 15_000);
  });
}
