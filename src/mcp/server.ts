/**
 * `stint mcp`: a Model Context Protocol server on stdio whose tools call a Stint server over HTTP,
 * so IDE agents can delegate work to Stint. Stdout carries the protocol; diagnostics go to stderr.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { API_VERSION } from '../api/openapi.ts';
import { StintHttp } from './stint-http.ts';
import { registerStintTools } from './tools.ts';

export function createMcpServer(api: StintHttp): McpServer {
  const server = new McpServer(
    { name: 'stint', version: API_VERSION },
    {
      instructions:
        'Stint runs coding-agent sessions on git repositories. create_session starts one; follow_session waits for its progress; approve_plan and send_message answer it; get_session shows the result (outputs hold the patch or pull request).',
    },
  );
  registerStintTools(server, api);
  return server;
}

/** Serves MCP on this process's stdin/stdout until stdin closes. */
export async function runStdioMcpServer(origin: string, apiKey: string): Promise<void> {
  const server = createMcpServer(new StintHttp(origin, apiKey));
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
