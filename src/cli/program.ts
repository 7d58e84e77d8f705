/** The `stint` command: every subcommand, parsed and run (started by main.ts once the Node version is checked). */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { StintError } from '../domain/errors.ts';
import { registerAuditCommand } from './audit.ts';
import { registerClientCommands } from './client/register.ts';
import { registerEvalCommand } from './eval.ts';
import { registerKeyCommands } from './keys.ts';
import { registerMcpCommand } from './mcp.ts';
import { registerSecretCommands } from './secrets.ts';
import { registerServeCommand } from './serve.ts';
import { registerSourceCommands } from './sources.ts';
import { registerTenantCommands } from './tenants.ts';
import { registerWebhookCommands } from './webhooks.ts';
import { registerWorkerCommand } from './worker.ts';

const program = new Command();
program
  .name('stint')
  .description(
    'Stint: a self-hosted server for the Jules API that runs coding-agent sessions on git repositories.',
  )
  .version('0.1.0')
  .showHelpAfterError();

registerServeCommand(program);
registerKeyCommands(program);
registerSourceCommands(program);
registerTenantCommands(program);
registerSecretCommands(program);
registerAuditCommand(program);
registerWorkerCommand(program);
registerWebhookCommands(program);
registerClientCommands(program);
registerMcpCommand(program);
registerEvalCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof ConfigError || e instanceof StintError) {
    process.stderr.write(`stint: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`stint: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
}
