import type { Command } from 'commander';
import { buildConfig, type ServeFlags } from '../config.ts';
import { createStint } from '../server.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the API (and run sessions) with the embedded store by default.')
    .option('--host <host>', 'address to listen on (STINT_HOST)', undefined)
    .option('--port <port>', 'port to listen on, 0 for any free port (STINT_PORT)')
    .option('--data-dir <dir>', 'where the store and workspaces live (STINT_DATA_DIR)')
    .option('--public-url <url>', 'origin used in session urls (STINT_PUBLIC_URL)')
    .option('--agent <name>', 'agent backend: scripted (STINT_AGENT)')
    .option('--agent-script <file>', 'default script for the scripted agent (STINT_AGENT_SCRIPT)')
    .option('--concurrency <n>', 'sessions worked at once (STINT_CONCURRENCY)')
    .option('--bash-output', 'attach bashOutput artifacts to command progress')
    .option('--no-worker', 'serve the API only; do not run sessions')
    .option('--sandbox <kind>', 'agent command isolation: auto, bubblewrap or plain (STINT_SANDBOX)')
    .action(async (flags: ServeFlags) => {
      const config = buildConfig(flags);
      const stint = await createStint(config);
      const origin = await stint.listen();
      // One write, so whoever waits for the first line also gets the rest of the banner.
      const banner = [`Stint listening on ${origin}`, `API: ${origin}/v1alpha   data: ${config.dataDir}`];
      if (stint.firstAdminKey) {
        banner.push(`First start: your admin API key (shown once, store it now): ${stint.firstAdminKey}`);
      }
      if (config.agent === 'scripted') {
        banner.push(
          'Agent: scripted (deterministic; runs the stint-script in each prompt). Configure a model for real work.',
        );
      }
      process.stdout.write(`${banner.join('\n')}\n`);
      let closing = false;
      const shutdown = async (signal: string) => {
        if (closing) return;
        closing = true;
        stint.log.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        try {
          await stint.close();
          process.exit(0);
        } catch (e) {
          stint.log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        }
      };
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      process.on('SIGINT', () => void shutdown('SIGINT'));
    });
}
