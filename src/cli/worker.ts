/**
 * `stint worker`: runs sessions from a PostgreSQL store shared with `stint serve --no-worker` and
 * other workers, without HTTP. Same configuration as serve (flags > environment > defaults).
 * SIGTERM/SIGINT drain it: it stops claiming, interrupts running agents at their next safe point,
 * releases its leases (other workers pick the sessions up at once) and exits 0.
 */
import type { Command } from 'commander';
import { buildConfig, type ServeFlags } from '../config.ts';
import { addRunnerOptions } from './runner-options.ts';
import { exitOnSignal } from './shutdown.ts';

export function registerWorkerCommand(program: Command): void {
  addRunnerOptions(
    program
      .command('worker')
      .description('Run sessions from the shared PostgreSQL store (STINT_DATABASE_URL); no HTTP.')
      .option('--data-dir <dir>', 'where this worker keeps checkouts and source mirrors (STINT_DATA_DIR)')
      .option('--public-url <url>', 'origin of the API, used in session urls (STINT_PUBLIC_URL)'),
  ).action(async (flags: Omit<ServeFlags, 'host' | 'port' | 'worker'>) => {
    const config = buildConfig({ ...flags, worker: true });
    // Loaded here: the runner, the store and the agents are for this command, not every `stint` process.
    const { startWorkerNode } = await import('./worker-node.ts');
    const node = await startWorkerNode(config);
    process.stdout.write(
      `Stint worker ${node.worker.id} running: concurrency ${config.concurrency}, ` +
        `lease ${config.leaseMs} ms, data ${config.dataDir}\n`,
    );
    for (const warning of node.warnings) process.stdout.write(`Warning: ${warning}\n`);
    exitOnSignal(node.log, 'draining', () => node.stop(), 30_000);
  });
}
