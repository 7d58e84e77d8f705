/**
 * The only route out of a bubblewrap sandbox with an allowlist: the command runs in its own network
 * namespace, which has nothing but its own loopback. The server's proxy listens on a Unix socket
 * that is bind-mounted into the sandbox; this tiny forwarder (run by the server's own node binary,
 * also bind-mounted, read-only) listens on the namespace's 127.0.0.1:3128, pipes each connection to
 * that socket, and starts the command only once it listens. It exits with the command's exit code.
 */

/** Where the proxy socket and node appear inside the sandbox (on its private /run). */
export const SANDBOX_NET_DIR = '/run/stint-net';
export const SANDBOX_PROXY_SOCKET = `${SANDBOX_NET_DIR}/proxy.sock`;
export const SANDBOX_NODE = `${SANDBOX_NET_DIR}/node`;
/** The forwarder's port on the sandbox's own loopback (no other namespace can see it). */
export const SANDBOX_PROXY_PORT = 3128;

/**
 * The forwarder's program (CommonJS, for `node -e`). argv: socket path, port, then the command.
 * The command's NODE_OPTIONS reach it through STINT_NODE_OPTIONS, so they cannot break the forwarder.
 */
export const FORWARDER_SOURCE = `
const net = require('node:net');
const { spawn } = require('node:child_process');
const { constants } = require('node:os');
const [socketPath, port, file, ...args] = process.argv.slice(1);
const server = net.createServer((client) => {
  const upstream = net.connect(socketPath);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.on('error', (e) => {
  process.stderr.write('stint: the network allowlist forwarder failed: ' + e.message + '\\n');
  process.exit(125);
});
server.listen(Number(port), '127.0.0.1', () => {
  const env = { ...process.env };
  delete env.STINT_NODE_OPTIONS;
  if (process.env.STINT_NODE_OPTIONS !== undefined) env.NODE_OPTIONS = process.env.STINT_NODE_OPTIONS;
  const child = spawn(file, args, { stdio: 'inherit', env });
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s));
  child.on('error', (e) => {
    process.stderr.write('stint: cannot start the command: ' + e.message + '\\n');
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
});
`;

/** The proxy variables commands read (curl, git, pip, npm, yarn, pnpm; node with NODE_USE_ENV_PROXY). */
export function proxyEnv(proxyUrl: string): Record<string, string> {
  const noProxy = 'localhost,127.0.0.1,::1';
  return {
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    NODE_USE_ENV_PROXY: '1',
  };
}
