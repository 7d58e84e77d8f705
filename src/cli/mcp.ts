/** `stint mcp`: the MCP stdio server, talking to a Stint server (--server/STINT_SERVER, STINT_API_KEY). */
import type { Command } from 'commander';
import { resolveConnection } from './client/settings.ts';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description(
      'Serve the Model Context Protocol on stdio, so IDE agents can create and follow Stint sessions (uses STINT_SERVER and STINT_API_KEY).',
    )
    .option('--server <url>', 'the Stint server (STINT_SERVER; default http://127.0.0.1:8080)')
    .action(async (opts: { server?: string }) => {
      const conn = resolveConnection(opts, process.env, (line) => process.stderr.write(`${line}\n`));
      if (!conn.apiKey) {
        throw new Error(`no API key for ${conn.origin}: set STINT_API_KEY (or run stint login)`);
      }
      // Loaded here: the MCP SDK is for this command only, not for every `stint` process.
      const { runStdioMcpServer } = await import('../mcp/server.ts');
      await runStdioMcpServer(conn.origin, conn.apiKey);
      process.exit(0);
    });
}
