/**
 * A TCP client for commands inside the sandbox that does not depend on what the machine has
 * (bash's /dev/tcp, python3, curl): the node running the tests, shown read-only to the sandbox. It
 * connects, prints what the server sends and exits 0, or prints the error code and exits 1.
 */
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';

/** The directory holding the node binary: add it to the sandbox's read-only paths. */
export const nodeDir = dirname(realpathSync(process.execPath));

/** A shell command that connects to 127.0.0.1:port from inside the sandbox. */
export function tcpClientCommand(port: number): string {
  const script = [
    `const s = require("net").connect(${Number(port)}, "127.0.0.1");`,
    's.on("data", (d) => process.stdout.write(d));',
    's.on("end", () => process.exit(0));',
    's.on("error", (e) => { console.log("no-connection " + e.code); process.exit(1); });',
    's.setTimeout(4000, () => { console.log("no-connection timeout"); process.exit(1); });',
  ].join(' ');
  return `'${realpathSync(process.execPath)}' -e '${script}'`;
}
